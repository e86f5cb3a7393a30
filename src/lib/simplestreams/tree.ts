/**
 * A simplestreams tree in a BlobStore: reading what it holds, and changing it so that a reader
 * never sees an index naming a missing file (../shared/spec/simplestreams.md §1): new files
 * first, then the products files, then the index, each an atomic put; a file only the old index
 * named is deleted after the new index is in place. Writing an unchanged document is skipped, and
 * a signature already on disk is kept while it is this key's signature over the same bytes, so an
 * unchanged tree rewrites no byte (web caches keep their ETags).
 *
 * Over 250 lines: the ordering rule, signing and reuse are one procedure, and splitting them
 * would spread the one invariant (no index names a missing file) over several files.
 */
import {createReadStream} from 'node:fs';
import type {Readable} from 'node:stream';
import {UserError} from '../errors.js';
import type {Signer} from '../sign/signer.js';
import type {BlobStore} from '../storage/index.js';
import {eachLimited} from '../io/each-limited.js';
import {safeItemPath} from './products.js';

export const INDEX = 'streams/v1/index.json';
/** A products file or index over this is no feed anyone writes (images.linuxcontainers.org's is ~25 MB). */
const MAX_DOCUMENT_BYTES = 256 << 20;
const PUT_CONCURRENCY = 8;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface TreeDocument {
  /** Key in the tree: `streams/v1/images.json`. */
  path: string;
  text: string;
  /** `text` parsed, when the caller has it (a 10,000-product document takes 100 ms to parse again). */
  json?: Obj;
  /** The paths of its items, when the caller knows them without `json` (the export cache). */
  itemPaths?: readonly string[];
}

export interface ReadDocument extends TreeDocument {
  json: Obj;
}

/** What a tree holds now: its index and the products files the index names (absent ones left out). */
export interface TreeState {
  index?: ReadDocument;
  products: Map<string, ReadDocument>;
  /**
   * Every item of the products files, when known without parsing them (the export cache, which
   * checked that the files are the ones it describes); writeTree then reads no `json` of them.
   */
  items?: ItemPlace[];
}

/** What writeTree reads of an old item: where it is and what it holds. */
export type ItemPlace = Pick<TreeItem, 'path' | 'sha256' | 'size'>;

/** A payload file to place in the tree: its bytes from a local path, or a stream opened when needed. */
export interface TreeFile {
  key: string;
  size: number;
  sha256: string;
  source: string | (() => Promise<Readable>);
}

export interface TreePlan {
  files: readonly TreeFile[];
  /** The products files, in the form they are written. */
  documents: readonly TreeDocument[];
  index: TreeDocument;
  /** Written after the index (index.html): they name files, nothing names them. */
  extras?: readonly TreeDocument[];
}

export interface TreeChange {
  /** Keys written (files, documents, signatures), in the order they were written. */
  written: string[];
  /** Keys deleted because no index names them any more. */
  removed: string[];
  /** Files left as they were (the old index named them with the same sha256 and size). */
  kept: number;
}

export interface WriteTreeOptions {
  signer?: Signer;
  dryRun?: boolean;
  /** Bytes of payload copied so far, of all to copy. */
  onProgress?: (done: number, total: number) => void;
}

/** A document of the tree as text; undefined when absent. */
export async function readText(blobs: BlobStore, key: string): Promise<string | undefined> {
  const info = await blobs.stat(key);
  if (!info) return undefined;
  if (info.size > MAX_DOCUMENT_BYTES)
    throw new UserError(`${key}: ${info.size} bytes, over the ${MAX_DOCUMENT_BYTES >> 20} MiB a feed document may have`, {code: 'ResponseTooLarge'});
  const chunks: Buffer[] = [];
  for await (const chunk of await blobs.get(key)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parse(key: string, text: string): Obj {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${key}: not JSON (${(err as Error).message})`, {code: 'InvalidFeed', cause: err});
  }
  if (!isObj(json)) throw new UserError(`${key}: not a JSON object`, {code: 'InvalidFeed'});
  return json;
}

/** The tree's index and the products files it names; an empty state when there is no index yet. */
export async function readTree(blobs: BlobStore): Promise<TreeState> {
  const products = new Map<string, ReadDocument>();
  const text = await readText(blobs, INDEX);
  if (text === undefined) return {products};
  const json = parse(INDEX, text);
  if (json.format !== 'index:1.0' || !isObj(json.index))
    throw new UserError(`${INDEX}: not a simplestreams index (format "${String(json.format)}")`, {code: 'InvalidFeed'});
  for (const entry of Object.values(json.index)) {
    if (!isObj(entry) || typeof entry.path !== 'string' || !safeItemPath(entry.path) || products.has(entry.path)) continue;
    const doc = await readText(blobs, entry.path);
    if (doc !== undefined) products.set(entry.path, {path: entry.path, text: doc, json: parse(entry.path, doc)});
  }
  return {index: {path: INDEX, text, json}, products};
}

export interface TreeItem {
  product: string;
  version: string;
  item: string;
  path: string;
  size?: number;
  sha256?: string;
  md5?: string;
  raw: Obj;
}

/** Every item with a path in a products document (python simplestreams' view: scalars inherited downward). */
export function treeItems(doc: Obj): TreeItem[] {
  const out: TreeItem[] = [];
  const products = isObj(doc.products) ? doc.products : {};
  const top = scalars(doc, {});
  for (const [product, p] of Object.entries(products)) {
    if (!isObj(p) || !isObj(p.versions)) continue;
    const atProduct = scalars(p, top);
    for (const [version, v] of Object.entries(p.versions)) {
      if (!isObj(v) || !isObj(v.items)) continue;
      const atVersion = scalars(v, atProduct);
      for (const [item, i] of Object.entries(v.items)) {
        if (!isObj(i)) continue;
        // Only the four keys read here are inherited, so a 10,000-product file is walked in milliseconds.
        const flat = scalars(i, atVersion);
        if (typeof flat.path !== 'string') continue;
        const size = Number(flat.size);
        const entry: TreeItem = {product, version, item, path: flat.path, raw: i};
        if (flat.size !== undefined && Number.isSafeInteger(size) && size >= 0) entry.size = size;
        if (typeof flat.sha256 === 'string') entry.sha256 = flat.sha256.toLowerCase();
        if (typeof flat.md5 === 'string') entry.md5 = flat.md5.toLowerCase();
        out.push(entry);
      }
    }
  }
  return out;
}

const INHERITED = ['path', 'size', 'sha256', 'md5'] as const;
type Inherited = Partial<Record<(typeof INHERITED)[number], string | number>>;

function scalars(o: Obj, from: Inherited): Inherited {
  let out = from;
  for (const k of INHERITED) {
    const v = o[k];
    if (typeof v === 'string' || typeof v === 'number') {
      if (out === from) out = {...from};
      out[k] = v;
    }
  }
  return out;
}

/** The signed companions of a document: `X.sjson` (clearsigned) and `X.json.gpg` (detached). */
export const signedName = (path: string): string => path.replace(/\.json$/, '.sjson');
export const detachedName = (path: string): string => `${path}.gpg`;

/** Every key a tree state refers to: index, products files, their signatures, item files. */
export function referencedKeys(state: TreeState, items: readonly ItemPlace[] = [...state.products.values()].flatMap((d) => treeItems(d.json))): Set<string> {
  const keys = new Set<string>();
  if (!state.index) return keys;
  for (const path of [INDEX, ...state.products.keys()]) for (const k of [path, signedName(path), detachedName(path)]) keys.add(k);
  for (const item of items) if (safeItemPath(item.path)) keys.add(item.path);
  return keys;
}

/**
 * Bring the tree to the plan. Files the old tree already holds with the same sha256 and size
 * are trusted as they are (`img simplestreams verify` re-hashes them); every other file is put
 * with its size and sha256 checked as it is written.
 */
export async function writeTree(blobs: BlobStore, old: TreeState, plan: TreePlan, opts: WriteTreeOptions = {}): Promise<TreeChange> {
  const change: TreeChange = {written: [], removed: [], kept: 0};
  const oldItems = old.items ?? [...old.products.values()].flatMap((d) => treeItems(d.json));
  const known = new Map<string, {sha256?: string; size?: number}>(oldItems.map((i) => [i.path, i]));
  const toCopy = plan.files.filter((f) => {
    const k = known.get(f.key);
    const same = k !== undefined && k.sha256 === f.sha256.toLowerCase() && k.size === f.size;
    if (same) change.kept++;
    return !same;
  });
  const seen = new Set<string>();
  const unique = toCopy.filter((f) => !seen.has(f.key) && seen.add(f.key));
  const total = unique.reduce((n, f) => n + f.size, 0);
  let done = 0;
  await eachLimited(unique, PUT_CONCURRENCY, async (file) => {
    change.written.push(file.key);
    if (opts.dryRun) return;
    if (typeof file.source === 'string' && blobs.putFile) await blobs.putFile(file.key, file.source, {size: file.size, sha256: file.sha256});
    else {
      const data = typeof file.source === 'string' ? createReadStream(file.source, {highWaterMark: 1 << 20}) : await file.source();
      await blobs.put(file.key, data, {size: file.size, sha256: file.sha256});
    }
    done += file.size;
    opts.onProgress?.(done, total);
  });

  // Files linked into place must be on disk before a products file names them.
  if (!opts.dryRun) await blobs.flush?.();

  const put = async (path: string, text: string, previous: string | undefined): Promise<void> => {
    if (previous === text) return;
    change.written.push(path);
    if (!opts.dryRun) await blobs.put(path, text);
  };
  const oldText = async (path: string): Promise<string | undefined> =>
    path === INDEX ? old.index?.text : (old.products.get(path)?.text ?? readText(blobs, path));

  /** A document and, when signing, its .sjson and .json.gpg, each kept while still valid. */
  const putDocument = async (doc: TreeDocument, signedText: string): Promise<void> => {
    const previous = await oldText(doc.path);
    if (opts.signer) {
      const signer = opts.signer;
      const sjson = signedName(doc.path);
      const oldSigned = await readText(blobs, sjson);
      if (oldSigned === undefined || !(await signer.madeClearsigned(oldSigned, signedText))) await put(sjson, await signer.clearsign(signedText), oldSigned);
      const gpg = detachedName(doc.path);
      const oldDetached = await readText(blobs, gpg);
      if (oldDetached === undefined || !(await signer.madeDetached(Buffer.from(oldDetached), Buffer.from(doc.text)))) {
        await put(gpg, await signer.detach(Buffer.from(doc.text)), oldDetached);
      }
    }
    await put(doc.path, doc.text, previous);
  };

  for (const doc of plan.documents) await putDocument(doc, doc.text);
  parse(plan.index.path, plan.index.text);
  if (!opts.signer) {
    // An index.sjson left from a signed run would still name the old products: it goes first.
    for (const k of [signedName(INDEX), detachedName(INDEX)]) await removeKey(blobs, k, change, opts);
  }
  await putDocument(plan.index, signedIndexText(plan.index.text));
  for (const extra of plan.extras ?? []) await put(extra.path, extra.text, await readText(blobs, extra.path));

  // Now that no index names them: what only the old tree referred to.
  const keep = new Set<string>([...plan.files.map((f) => f.key), ...plan.documents.map((d) => d.path), INDEX, ...(plan.extras ?? []).map((e) => e.path)]);
  for (const doc of plan.documents) for (const path of doc.itemPaths ?? treeItems(doc.json ?? parse(doc.path, doc.text)).map((i) => i.path)) keep.add(path);
  if (opts.signer) for (const p of [INDEX, ...plan.documents.map((d) => d.path)]) keep.add(signedName(p)).add(detachedName(p));
  for (const key of [...referencedKeys(old, oldItems)].sort()) if (!keep.has(key)) await removeKey(blobs, key, change, opts);
  return change;
}

/** The index with its products paths pointing at the .sjson files, as signed indexes do (§6.3). */
export function signedIndexText(text: string): string {
  // Only `"path": "….json"` values of index entries change; a textual swap keeps every other byte.
  return text.replace(/("path": "[^"]*)\.json"/g, '$1.sjson"');
}

async function removeKey(blobs: BlobStore, key: string, change: TreeChange, opts: WriteTreeOptions): Promise<void> {
  if (!(await blobs.stat(key))) return;
  change.removed.push(key);
  if (!opts.dryRun) await blobs.delete(key);
}
