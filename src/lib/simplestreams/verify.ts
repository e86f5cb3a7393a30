/**
 * `img simplestreams verify`: a tree checked against its own index, every problem found rather
 * than the first: each products file the index names is there and is JSON; each file an item
 * names is there with the size, sha256 (and md5, when claimed) the products say, re-hashed as a
 * stream; with a keyring, each `.sjson` and `.json.gpg` verifies and signs what the `.json` says.
 */
import {createHash} from 'node:crypto';
import {isUserError} from '../errors.js';
import {hashChunks} from '../io/hash-file.js';
import type {Keyring} from '../sign/openpgp.js';
import type {BlobStore} from '../storage/index.js';
import {canonicalJson} from './canonical.js';
import {safeItemPath} from './products.js';
import {detachedName, INDEX, signedIndexText, signedName, treeItems, type TreeItem} from './tree.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export type TreeProblem =
  | {kind: 'missing'; path: string}
  | {kind: 'size'; path: string; got: number; expected: number}
  | {kind: 'sha256' | 'md5'; path: string; got: string; expected: string}
  /** A document that is not JSON, an unsafe path, an item without size or checksum. */
  | {kind: 'invalid'; path: string; reason: string}
  | {kind: 'signature'; path: string; reason: string};

export interface TreeVerifyResult {
  ok: boolean;
  problems: TreeProblem[];
  /** Products files read. */
  documents: number;
  /** Distinct item files checked, and their bytes. */
  files: number;
  bytes: number;
  /** Signature files checked (0 without a keyring). */
  signatures: number;
}

export interface TreeVerifyOptions {
  /** Also check every `.sjson` and `.json.gpg` (and require them) against this keyring. */
  keyring?: Keyring;
  /** Bytes hashed so far, of all the items' sizes. */
  onProgress?: (done: number, total: number) => void;
}

async function bytes(blobs: BlobStore, key: string): Promise<Buffer | undefined> {
  if (!(await blobs.stat(key))) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of await blobs.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const text = async (blobs: BlobStore, key: string): Promise<string | undefined> => (await bytes(blobs, key))?.toString('utf8');

function json(path: string, body: string): {value?: Obj; problem?: TreeProblem} {
  try {
    const value: unknown = JSON.parse(body);
    if (isObj(value)) return {value};
    return {problem: {kind: 'invalid', path, reason: 'not a JSON object'}};
  } catch (err) {
    return {problem: {kind: 'invalid', path, reason: `not JSON (${(err as Error).message})`}};
  }
}

export async function verifyTree(blobs: BlobStore, opts: TreeVerifyOptions = {}): Promise<TreeVerifyResult> {
  const problems: TreeProblem[] = [];
  const result = {problems, documents: 0, files: 0, bytes: 0, signatures: 0};
  const done = (): TreeVerifyResult => ({ok: problems.length === 0, ...result});
  const indexText = await text(blobs, INDEX);
  if (indexText === undefined) return (problems.push({kind: 'missing', path: INDEX}), done());
  const index = json(INDEX, indexText);
  if (!index.value) return (problems.push(index.problem!), done());
  if (index.value.format !== 'index:1.0' || !isObj(index.value.index)) {
    return (problems.push({kind: 'invalid', path: INDEX, reason: `not a simplestreams index (format "${String(index.value.format)}")`}), done());
  }
  if (opts.keyring) await checkSignatures(blobs, INDEX, signedIndexText(indexText), indexText, opts.keyring, problems, result);

  const items: TreeItem[] = [];
  const docPaths = new Set<string>();
  for (const [id, e] of Object.entries(index.value.index)) {
    if (!isObj(e) || typeof e.path !== 'string') continue;
    if (!safeItemPath(e.path)) {
      problems.push({kind: 'invalid', path: INDEX, reason: `entry ${JSON.stringify(id)} has an unsafe path ${JSON.stringify(e.path)}`});
      continue;
    }
    if (docPaths.has(e.path)) continue;
    docPaths.add(e.path);
    const body = await text(blobs, e.path);
    if (body === undefined) {
      problems.push({kind: 'missing', path: e.path});
      continue;
    }
    const doc = json(e.path, body);
    if (!doc.value) {
      problems.push(doc.problem!);
      continue;
    }
    result.documents++;
    if (opts.keyring) await checkSignatures(blobs, e.path, body, body, opts.keyring, problems, result);
    items.push(...treeItems(doc.value));
  }
  await checkItems(blobs, items, problems, result, opts.onProgress);
  return done();
}

/** Each distinct file once: every claim on it (several items may share one metadata file) is compared with one hash of it. */
async function checkItems(
  blobs: BlobStore,
  items: readonly TreeItem[],
  problems: TreeProblem[],
  result: {files: number; bytes: number},
  onProgress?: (done: number, total: number) => void,
): Promise<void> {
  const byPath = new Map<string, TreeItem[]>();
  for (const item of items) {
    if (!safeItemPath(item.path)) {
      problems.push({kind: 'invalid', path: item.path, reason: `unsafe item path (${item.product} ${item.version} ${item.item})`});
      continue;
    }
    const claims = byPath.get(item.path) ?? [];
    byPath.set(item.path, claims);
    claims.push(item);
  }
  const total = [...byPath.values()].reduce((n, c) => n + (c[0]!.size ?? 0), 0);
  let hashed = 0;
  for (const [path, claims] of [...byPath].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const unverifiable = claims.find((c) => c.size === undefined || (c.sha256 === undefined && c.md5 === undefined));
    if (unverifiable) {
      // python simplestreams refuses such an item too: nothing says what its bytes must be.
      const c = unverifiable;
      problems.push({kind: 'invalid', path, reason: `${c.product} ${c.version} ${c.item} gives ${c.size === undefined ? 'no size' : 'no sha256 or md5'}`});
    }
    const info = await blobs.stat(path).catch(() => undefined);
    if (!info) {
      problems.push({kind: 'missing', path});
      continue;
    }
    result.files++;
    const sizes = [...new Set(claims.map((c) => c.size).filter((s): s is number => s !== undefined))];
    const wrongSize = sizes.filter((s) => s !== info.size);
    for (const expected of wrongSize) problems.push({kind: 'size', path, got: info.size, expected});
    // A file of the wrong size cannot have the claimed digest: no need to read it.
    if (wrongSize.length > 0) continue;
    const sha256 = createHash('sha256');
    const md5 = claims.some((c) => c.md5 !== undefined) ? createHash('md5') : undefined;
    result.bytes += await hashChunks((await blobs.get(path)) as AsyncIterable<Buffer>, md5 ? [sha256, md5] : [sha256], (n) =>
      onProgress?.((hashed += n), total),
    );
    const got = {sha256: sha256.digest('hex'), md5: md5?.digest('hex')};
    for (const kind of ['sha256', 'md5'] as const) {
      for (const expected of new Set(claims.map((c) => c[kind]).filter((d): d is string => d !== undefined))) {
        if (expected !== got[kind]) problems.push({kind, path, got: got[kind]!, expected});
      }
    }
  }
}

/** `X.sjson` and `X.json.gpg` of a document, each required and checked: `signed` is what the clearsigned copy must say. */
async function checkSignatures(
  blobs: BlobStore,
  path: string,
  signed: string,
  body: string,
  keyring: Keyring,
  problems: TreeProblem[],
  result: {signatures: number},
): Promise<void> {
  const pgp = await import('../sign/openpgp.js');
  const attempt = async (sigPath: string, check: () => Promise<void>): Promise<void> => {
    result.signatures++;
    try {
      await check();
    } catch (err) {
      if (!isUserError(err)) throw err;
      problems.push({kind: 'signature', path: sigPath, reason: err.message});
    }
  };
  const sjson = signedName(path);
  const clear = await text(blobs, sjson);
  if (clear === undefined) problems.push({kind: 'missing', path: sjson});
  else
    await attempt(sjson, async () => {
      const payload = await pgp.verifyClearsigned(clear, keyring, sjson);
      const same = (() => {
        try {
          return canonicalJson(JSON.parse(payload)) === canonicalJson(JSON.parse(signed));
        } catch {
          return false;
        }
      })();
      if (!same) problems.push({kind: 'signature', path: sjson, reason: `its signed text is not what ${path} says`});
    });
  const gpg = detachedName(path);
  const signature = await bytes(blobs, gpg);
  if (signature === undefined) problems.push({kind: 'missing', path: gpg});
  else await attempt(gpg, () => pgp.verifyDetached(Buffer.from(body, 'utf8'), signature, keyring, gpg));
}
