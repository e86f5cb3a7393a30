/**
 * `img simplestreams prune`: each product of each products file keeps its newest version and
 * the `retain` versions before it (incus-simplestreams prune's --retention: N counts the older
 * versions kept besides the newest, default 2), version keys ordered as strings, as
 * incus-simplestreams and sstream-mirror order them. The tree writer then applies the usual
 * order (products, index, then the files only the old tree named), and after that, files under
 * the tree's item directories (images/, files/, and the first directory of any item path) that
 * no products file names any more are removed as orphans: what an interrupted add or an earlier
 * tool left behind. Documents under streams/, index.html and signatures in use are never orphans.
 */
import {UserError} from '../errors.js';
import type {BlobStore} from '../storage/index.js';
import type {TreeWriteOptions} from './from-store.js';
import {documentText, type FeedDocument} from './render.js';
import {INDEX, readTree, referencedKeys, treeItems, writeTree, type ReadDocument, type TreeChange, type TreeState} from './tree.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** incus-simplestreams prune's default. */
export const DEFAULT_RETAIN = 2;
/** Always swept for orphans: where img and incus-simplestreams put item files. */
const ITEM_DIRS = ['images', 'files'];

export interface PruneOptions extends Pick<TreeWriteOptions, 'signer' | 'html' | 'dryRun'> {
  /** Older versions kept per product besides the newest. */
  retain?: number;
}

export interface PrunedVersion {
  /** The products file it was in. */
  path: string;
  product: string;
  version: string;
}

export interface PruneResult {
  /** Versions dropped from the products files, by product. */
  versions: PrunedVersion[];
  /** What the tree writer did (the files of the dropped versions are among `removed`). */
  change: TreeChange;
  /** Files no products file named, removed after the new index was in place. */
  orphans: string[];
}

/** A products document without the versions past newest + retain; undefined when it loses none. */
function pruned(doc: ReadDocument, retain: number, out: PrunedVersion[]): Obj | undefined {
  if (!isObj(doc.json.products)) return undefined;
  const products: Obj = {...doc.json.products};
  let changed = false;
  for (const [name, p] of Object.entries(products)) {
    if (!isObj(p) || !isObj(p.versions)) continue;
    const keys = Object.keys(p.versions).sort();
    const drop = keys.slice(0, Math.max(0, keys.length - 1 - retain));
    if (drop.length === 0) continue;
    changed = true;
    const versions = {...p.versions};
    for (const v of drop) {
      delete versions[v];
      out.push({path: doc.path, product: name, version: v});
    }
    products[name] = {...p, versions};
  }
  return changed ? {...doc.json, products} : undefined;
}

export async function pruneTree(blobs: BlobStore, opts: PruneOptions = {}): Promise<PruneResult> {
  const retain = opts.retain ?? DEFAULT_RETAIN;
  if (!Number.isSafeInteger(retain) || retain < 0) throw new UserError(`--retain must be a whole number, 0 or more (got ${retain})`, {code: 'Usage'});
  const old = await readTree(blobs);
  if (!old.index) throw new UserError(`no simplestreams tree here: ${INDEX} is missing`, {code: 'FileNotFound'});
  const versions: PrunedVersion[] = [];
  const next: TreeState = {index: old.index, products: new Map()};
  for (const [path, doc] of old.products) {
    const json = pruned(doc, retain, versions);
    next.products.set(path, json ? {path, json, text: documentText(json)} : doc);
  }
  let change: TreeChange = {written: [], removed: [], kept: 0};
  // Nothing to drop: the tree is not rewritten (without --sign-key that would drop its signatures).
  if (versions.length > 0) {
    const documents = [...next.products.values()].map((d) => ({path: d.path, text: d.text}));
    const extras = opts.html ? [{path: 'index.html', text: opts.html([], {documents: feedDocuments(next), index: old.index.json, refused: []})}] : [];
    change = await writeTree(blobs, old, {files: [], documents, index: {path: INDEX, text: old.index.text}, extras}, opts);
  }
  const orphans = await sweepOrphans(blobs, old, next, new Set(change.removed), opts.dryRun ?? false);
  return {versions, change, orphans};
}

/** The tree's products files as the page renderer takes them. */
function feedDocuments(state: TreeState): FeedDocument[] {
  const entries = isObj(state.index?.json.index) ? state.index.json.index : {};
  return Object.entries(entries).flatMap(([contentId, e]) => {
    const doc = isObj(e) && typeof e.path === 'string' ? state.products.get(e.path) : undefined;
    return doc ? [{contentId, datatype: String((e as Obj).datatype ?? ''), path: doc.path, doc: doc.json}] : [];
  });
}

/**
 * Files under the item directories that the new tree does not name. None when the new tree
 * names no file at all: an index emptied by mistake must not take the whole tree with it (the
 * guard simplestream-maintainer's --dangling has too).
 */
async function sweepOrphans(blobs: BlobStore, old: TreeState, next: TreeState, gone: ReadonlySet<string>, dryRun: boolean): Promise<string[]> {
  const items = [...next.products.values()].flatMap((d) => treeItems(d.json));
  if (items.length === 0) return [];
  const named = referencedKeys(next, items);
  const oldItems = [...old.products.values()].flatMap((d) => treeItems(d.json));
  const dirs = new Set(ITEM_DIRS);
  for (const i of [...items, ...oldItems]) if (i.path.includes('/') && !i.path.startsWith('streams/')) dirs.add(i.path.split('/')[0]!);
  const orphans: string[] = [];
  for (const dir of [...dirs].sort()) {
    for (const info of await blobs.list(`${dir}/`)) {
      if (named.has(info.key) || gone.has(info.key)) continue;
      orphans.push(info.key);
      if (!dryRun) await blobs.delete(info.key);
    }
  }
  return orphans;
}
