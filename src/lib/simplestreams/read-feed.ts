/**
 * Any simplestreams feed as its documents, whatever their datatype (LXD image-downloads,
 * OpenStack image-downloads and image-ids, MAAS): the index and every products file it names,
 * from a tree in a BlobStore or from a server. `img simplestreams list` shows them; `mirror`
 * copies a chosen part of them. With a keyring, a server's documents are read only from their
 * clearsigned `.sjson` copies, each verified before it is believed, as remotes/simplestreams.ts
 * reads a feed for LXD.
 */
import type {ResponseCache} from '../http/cache.js';
import {parseJson, shownUrl} from '../http/client.js';
import {UserError} from '../errors.js';
import {safeItemPath} from './products.js';
import {INDEX, type TreeState} from './tree.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The index is small; a products file of images.linuxcontainers.org is ~25 MB, ten times that is no feed. */
export const MAX_INDEX_BYTES = 16 << 20;
export const MAX_PRODUCTS_BYTES = 256 << 20;

/** One products file and its entry in the index. */
export interface FeedDoc {
  contentId: string;
  datatype: string;
  /** Its path as a tree names it (`….json`, even when read from the signed `.sjson`). */
  path: string;
  json: Obj;
}

export interface Feed {
  /** Where it was read from: a directory, or the feed's base URL (items are relative to it). */
  base: string;
  index: Obj;
  documents: FeedDoc[];
}

/** The index entries that name a products file (format products:1.0, or none given), with their paths checked. */
function entries(index: Obj, where: string): Array<{contentId: string; datatype: string; path: string}> {
  const out: Array<{contentId: string; datatype: string; path: string}> = [];
  for (const [contentId, e] of Object.entries(isObj(index.index) ? index.index : {})) {
    if (!isObj(e) || typeof e.path !== 'string' || (e.format !== undefined && e.format !== 'products:1.0')) continue;
    if (!safeItemPath(e.path))
      throw new UserError(`${where}: entry ${JSON.stringify(contentId)} has an unsafe path ${JSON.stringify(e.path)}`, {code: 'InvalidFeed'});
    out.push({contentId, datatype: typeof e.datatype === 'string' ? e.datatype : '', path: e.path});
  }
  return out;
}

/** A signed index names `.sjson` products; a tree keeps the `.json` name beside them. */
const unsignedName = (path: string): string => path.replace(/\.sjson$/, '.json');

/** A tree's documents, as readTree found them (a products file the index names but the tree lacks is left out). */
export function treeFeed(state: TreeState, base: string): Feed {
  const index = state.index?.json ?? {format: 'index:1.0', index: {}};
  const documents: FeedDoc[] = [];
  for (const e of entries(index, `${base}/${INDEX}`)) {
    const doc = state.products.get(e.path);
    if (doc) documents.push({...e, json: doc.json});
  }
  return {base, index, documents};
}

export interface RemoteFeedOptions {
  cache: ResponseCache;
  /** An OpenPGP keyring file: read the signed `.sjson` documents and verify each. */
  keyring?: string;
  /** How old a cached document may be (default: the cache's own ttl; 0 asks the server every time). */
  maxAgeMs?: number;
}

/** A document of a feed's server as text, and the URL it came from. */
export type FeedTextReader = (path: string, maxBytes: number) => Promise<{text: string; url: string}>;

/**
 * How a server's documents are read, for `list`/`mirror` and for remotes alike: through the
 * response cache and, with a keyring, from their clearsigned `.sjson` copies, each verified
 * before a byte of it is believed.
 */
export async function feedTextReader(base: string, opts: RemoteFeedOptions): Promise<FeedTextReader> {
  const pgp = opts.keyring ? await import('../sign/openpgp.js') : undefined;
  const keyring = pgp && opts.keyring ? await pgp.loadKeyring(opts.keyring) : undefined;
  return async (path, maxBytes) => {
    const signedPath = keyring && path.endsWith('.json') ? `${path.slice(0, -'.json'.length)}.sjson` : path;
    const url = `${base}/${signedPath}`;
    let {text} = await opts.cache.get(url, {maxBytes, ...(opts.maxAgeMs === undefined ? {} : {maxAgeMs: opts.maxAgeMs})});
    if (pgp && keyring) text = await pgp.verifyClearsigned(text, keyring, url);
    return {text, url};
  };
}

/** The feed at `url` (its base: `<url>/streams/v1/index.json` is its index). */
export async function readRemoteFeed(url: string, opts: RemoteFeedOptions): Promise<Feed> {
  const base = url.replace(/\/+$/, '');
  const readText = await feedTextReader(base, opts);
  const read = async (path: string, maxBytes: number): Promise<Obj> => {
    const {text, url: where} = await readText(path, maxBytes);
    const json = parseJson(text, shownUrl(where));
    if (!isObj(json)) throw new UserError(`${shownUrl(where)}: not a JSON object`, {code: 'InvalidFeed'});
    return json;
  };
  const index = await read(INDEX, MAX_INDEX_BYTES);
  if (index.format !== 'index:1.0' || !isObj(index.index))
    throw new UserError(`${shownUrl(`${base}/${INDEX}`)}: not a simplestreams index (format "${String(index.format)}")`, {code: 'InvalidFeed'});
  const documents: FeedDoc[] = [];
  for (const e of entries(index, shownUrl(`${base}/${INDEX}`))) {
    documents.push({...e, path: unsignedName(e.path), json: await read(unsignedName(e.path), MAX_PRODUCTS_BYTES)});
  }
  return {base, index, documents};
}

/** Each version of each product of a products document, with the objects it sits in. */
export function* versionsOf(doc: Obj): Generator<{product: string; version: string; p: Obj; v: Obj}> {
  for (const [product, p] of Object.entries(isObj(doc.products) ? doc.products : {})) {
    if (!isObj(p) || !isObj(p.versions)) continue;
    for (const [version, v] of Object.entries(p.versions)) if (isObj(v)) yield {product, version, p, v};
  }
}
