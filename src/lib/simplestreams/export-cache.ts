/**
 * `img simplestreams export` of an LXD tree without redoing the whole store each time (issue 7:
 * re-export of 10,000 images after one change in under 0.5 s, where the full render, the
 * canonical text and re-reading the old tree took 1.5 s). Products are independent in the LXD
 * flavour (a product's text depends only on the images of that product: feedImages places
 * versions and names files per product, the flavour picks each product's newest image), so the
 * cache keeps, per product, its canonical text, its files and images, and per image what its
 * record and aliases were when it was read. A run re-reads and re-renders only the products
 * that an image changed, came to or left, and puts the document together from the texts.
 *
 * What is trusted, and why it is safe:
 * - an image's record, while its stamp (Store.recordStamp: inode, size, times) is the same and
 *   it had settled before it was read (SETTLE_MS); its aliases are compared every run;
 * - the old tree, only while its index and products file hash to what this cache wrote and it
 *   has no signatures (a signed run, another flavour, a hand edit all change one of those):
 *   otherwise the tree is read and parsed as the full path does;
 * - the cache file itself only whole, of this version, for this store home, tree and filters;
 *   anything else (missing, damaged, another Node's serialisation) is a miss, never an error.
 * Other flavours, --html and signing take the full path (from-store.ts).
 */
import {createHash} from 'node:crypto';
import {mkdirSync, readFileSync, realpathSync, renameSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {deserialize, serialize} from 'node:v8';
import {imageMatches} from '../image/filter.js';
import type {ImageView} from '../image/types.js';
import type {LocalDirBlobStore} from '../storage/local-dir.js';
import {ensureDigests} from '../store/digests.js';
import type {Store} from '../store/store.js';
import {CanonicalText, canonicalJson, canonicalJsonAt, streamsDate} from './canonical.js';
import {feedImages, newestUpload, treePath} from './feed.js';
import {lxdFlavor} from './flavors/lxd.js';
import {documentText, indexOf, namedFiles, renderFeed, type Refusal} from './render.js';
import {
  detachedName,
  INDEX,
  readText,
  readTree,
  signedName,
  writeTree,
  type ItemPlace,
  type TreeChange,
  type TreeFile,
  type TreeState,
  type WriteTreeOptions,
} from './tree.js';

/** exportStore's options that this path honours (from-store.ts sends the others down the full path). */
export interface CachedExportOptions extends Pick<WriteTreeOptions, 'dryRun' | 'onProgress'> {
  filters?: readonly string[];
  onHashing?: (bytes: number) => void;
}

export interface CachedExportResult {
  change: TreeChange;
  images: {fingerprint: string}[];
  refused: Refusal[];
}

const VERSION = 1;
/** A record changed this recently when read is read again next run (see Store.recordStamp). */
const SETTLE_MS = 1000;
/** A product's value sits at this indent in its document: `{ "products": { "<name>": …`. */
const PRODUCT_INDENT = '  ';

/** One product (a group of images with the same FeedImage.product), as rendered. */
interface Group {
  /** canonicalJsonAt(product, PRODUCT_INDENT); empty when the flavour refused every image. */
  text: string;
  /** Fingerprints in feed order. */
  images: string[];
  files: TreeFile[];
  refused: Refusal[];
  newest: string;
}

interface ImageEntry {
  stamp: string;
  aliases: string;
  /** Its product; empty when not exported (private, or filtered out). */
  group: string;
}

interface Cache {
  images: Map<string, ImageEntry>;
  groups: Map<string, Group>;
  /** Hash of the index and products text as written. */
  tree: string;
}

/**
 * On disk as parallel arrays of strings: V8 deserialises 100,000 strings in milliseconds, where
 * as many small objects took 250 ms (measured: the whole saving would go to reading the cache).
 */
interface Stored {
  version: number;
  options: string;
  tree: string;
  fps: string[];
  stamps: string[];
  aliases: string[];
  groupOf: string[];
  names: string[];
  texts: string[];
  images: string[];
  files: string[];
  refused: string[];
  newest: string[];
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function cacheFile(store: Store, tree: string): string {
  return join(store.paths.home, 'cache', 'export', `${sha256(tree).slice(0, 32)}.v8`);
}

function load(file: string, options: string): Cache | undefined {
  let s: Stored;
  try {
    s = deserialize(readFileSync(file)) as Stored;
  } catch {
    return undefined;
  }
  const lists = [s?.fps, s?.stamps, s?.aliases, s?.groupOf];
  const groupLists = [s?.names, s?.texts, s?.images, s?.files, s?.refused, s?.newest];
  if (s?.version !== VERSION || s.options !== options || typeof s.tree !== 'string') return undefined;
  if (!lists.every((l) => Array.isArray(l) && l.length === s.fps.length) || !groupLists.every((l) => Array.isArray(l) && l.length === s.names.length)) return undefined;
  const images = new Map<string, ImageEntry>();
  for (let i = 0; i < s.fps.length; i++) images.set(s.fps[i]!, {stamp: s.stamps[i]!, aliases: s.aliases[i]!, group: s.groupOf[i]!});
  const groups = new Map<string, Group>();
  for (let i = 0; i < s.names.length; i++) {
    const files = s.files[i] === '' ? [] : s.files[i]!.split('\n').map(fileOf);
    groups.set(s.names[i]!, {text: s.texts[i]!, images: s.images[i]!.split('\n'), files, refused: s.refused[i] === '' ? [] : (JSON.parse(s.refused[i]!) as Refusal[]), newest: s.newest[i]!});
  }
  return {images, groups, tree: s.tree};
}

const fileLine = (f: TreeFile): string => `${f.key}\t${f.size}\t${f.sha256}\t${f.source as string}`;
function fileOf(line: string): TreeFile {
  const [key, size, sha, source] = line.split('\t') as [string, string, string, string];
  return {key, size: Number(size), sha256: sha, source};
}

function save(file: string, options: string, cache: Cache): void {
  const s: Stored = {version: VERSION, options, tree: cache.tree, fps: [], stamps: [], aliases: [], groupOf: [], names: [], texts: [], images: [], files: [], refused: [], newest: []};
  for (const [fp, e] of cache.images) {
    s.fps.push(fp);
    s.stamps.push(e.stamp);
    s.aliases.push(e.aliases);
    s.groupOf.push(e.group);
  }
  for (const [name, g] of cache.groups) {
    s.names.push(name);
    s.texts.push(g.text);
    s.images.push(g.images.join('\n'));
    s.files.push(g.files.map(fileLine).join('\n'));
    s.refused.push(g.refused.length === 0 ? '' : JSON.stringify(g.refused));
    s.newest.push(g.newest);
  }
  mkdirSync(dirname(file), {recursive: true});
  // No fsync: a cache lost or torn in a crash is a miss (load checks it whole), never wrong.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, serialize(s));
  renameSync(tmp, file);
}

/** Whether the tree holds the documents this cache wrote, and no signatures: then its items are the cached groups' files. */
async function treeIsCached(blobs: LocalDirBlobStore, cache: Cache): Promise<{index: string; products: string} | undefined> {
  const products = lxdPath();
  for (const k of [INDEX, products]) for (const s of [signedName(k), detachedName(k)]) if (await blobs.stat(s)) return undefined;
  const [index, text] = [await readText(blobs, INDEX), await readText(blobs, products)];
  if (index === undefined || text === undefined || treeHash(index, text) !== cache.tree) return undefined;
  return {index, products: text};
}

const treeHash = (index: string, products: string): string => `${sha256(index)}:${sha256(products)}`;
const lxdPath = (): string => lxdFlavor.documents([], {updated: '', pathOf: () => ''})[0]!.path;

/** The product (group) of an image, or '' when it is not exported. */
function groupOf(view: ImageView, filters: string[]): string {
  return view.public && imageMatches(view, filters) ? feedImages([view], () => '')[0]!.product : '';
}

/** exportStore for the LXD flavour alone, without --html or signing, into a local directory. */
export async function exportCached(store: Store, blobs: LocalDirBlobStore, opts: CachedExportOptions): Promise<CachedExportResult> {
  const started = Date.now();
  let tree = blobs.root;
  try {
    tree = realpathSync.native(blobs.root);
  } catch {
    // not made yet: its name is all there is
  }
  const filters = [...(opts.filters ?? [])];
  const options = JSON.stringify([store.paths.home, tree, filters]);
  const file = cacheFile(store, tree);
  const cache = load(file, options);
  const [fps, aliases] = await Promise.all([store.fingerprints(), store.aliases()]);

  const entries = new Map<string, ImageEntry>();
  /** Entries too fresh to trust next time: left out of the saved cache. */
  const unsettled = new Set<string>();
  const dirty = new Set<string>();
  const read = new Map<string, ImageView>();
  for (const fp of fps) {
    const st = store.recordStamp(fp);
    if (!st) continue;
    const names = JSON.stringify(aliases.of(fp).map((a) => a.name));
    const old = cache?.images.get(fp);
    if (old && old.stamp === st.stamp && old.aliases === names) {
      entries.set(fp, old);
      continue;
    }
    if (old) dirty.add(old.group);
    const [record] = store.readRecords([fp]);
    if (!record) continue;
    const view = aliases.view(record);
    const entry = {stamp: st.stamp, aliases: names, group: groupOf(view, filters)};
    entries.set(fp, entry);
    read.set(fp, view);
    dirty.add(entry.group);
    if (st.changed >= started - SETTLE_MS) unsettled.add(fp);
  }
  for (const [fp, old] of cache?.images ?? []) if (!entries.has(fp)) dirty.add(old.group);

  const members = new Map<string, string[]>();
  for (const [fp, e] of entries) {
    if (e.group === '') continue;
    const list = members.get(e.group);
    if (list) list.push(fp);
    else members.set(e.group, [fp]);
  }
  const groups = new Map<string, Group>();
  for (const [name, fpsOf] of members) {
    const cached = cache?.groups.get(name);
    if (cached && !dirty.has(name)) groups.set(name, cached);
    else groups.set(name, await renderGroup(store, name, fpsOf, read, aliases, unsettled, opts));
  }

  const order = [...groups.keys()].sort();
  const updated = streamsDate(order.reduce((max, n) => (groups.get(n)!.newest > max ? groups.get(n)!.newest : max), newestUpload([])));
  const [head] = lxdFlavor.documents([], {updated, pathOf: treePath});
  const products: Record<string, CanonicalText> = {};
  for (const n of order) if (groups.get(n)!.text !== '') products[n] = new CanonicalText(groups.get(n)!.text);
  const documents = [{...head!, doc: {...head!.doc, products}}];
  const files = new Map<string, TreeFile>();
  for (const n of order) for (const f of groups.get(n)!.files) if (!files.has(f.key)) files.set(f.key, f);
  const text = canonicalJson(documents[0]!.doc);
  const indexText = documentText(indexOf(documents, updated));

  const old = cache && (await treeIsCached(blobs, cache));
  const state: TreeState = old
    ? {
        index: {path: INDEX, text: old.index, json: {}},
        products: new Map([[head!.path, {path: head!.path, text: old.products, json: {}}]]),
        items: [...cache.groups.values()].flatMap((g) => g.files.map((f): ItemPlace => ({path: f.key, sha256: f.sha256, size: f.size}))),
      }
    : await readTree(blobs);
  const change = await writeTree(
    blobs,
    state,
    {files: [...files.values()], documents: [{path: head!.path, text, itemPaths: [...files.keys()]}], index: {path: INDEX, text: indexText}},
    opts,
  );
  if (!opts.dryRun) {
    for (const fp of unsettled) entries.delete(fp);
    save(file, options, {images: entries, groups, tree: treeHash(indexText, text)});
  }
  return {
    change,
    images: order.flatMap((n) => groups.get(n)!.images.map((fingerprint) => ({fingerprint}))),
    refused: order.flatMap((n) => groups.get(n)!.refused),
  };
}

/** One product from its images' records, as the full path would render it within the whole feed. */
async function renderGroup(
  store: Store,
  name: string,
  fps: readonly string[],
  read: ReadonlyMap<string, ImageView>,
  aliases: Awaited<ReturnType<Store['aliases']>>,
  unsettled: Set<string>,
  opts: CachedExportOptions,
): Promise<Group> {
  const views: ImageView[] = [];
  for (const fp of fps) {
    let view = read.get(fp) ?? store.readRecords([fp]).map((r) => aliases.view(r))[0];
    if (!view) continue;
    if (view.files.some((f) => !f.sha256)) {
      view = await ensureDigests(store, fp, opts.onHashing);
      // Its record was rewritten after its stamp was taken.
      unsettled.add(fp);
    }
    views.push(view);
  }
  const images = feedImages(views, (fp, role) => store.filePath(fp, role));
  const feed = renderFeed(images, [lxdFlavor], {updated: '', pathOf: treePath});
  const products = (feed.documents[0]?.doc.products ?? {}) as Record<string, unknown>;
  const other = Object.keys(products).find((k) => k !== name);
  if (other !== undefined) throw new Error(`export cache: the images of product ${name} made product ${other}`);
  return {
    text: products[name] === undefined ? '' : canonicalJsonAt(products[name], PRODUCT_INDENT),
    images: images.map((i) => i.fingerprint),
    files: namedFiles(feed.documents, images),
    refused: feed.refused,
    newest: newestUpload(images),
  };
}
