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
 * Over 250 lines: exportWith is one procedure whose steps each rest on the one before (which
 * images changed, so which products; whether the tree is the cached one; what writeTree is given).
 *
 * What is trusted, and why it is safe:
 * - an image's record, while its stamp (Store.recordStamp: inode, size, times) is the same, if it
 *   had last changed before the run began by the filesystem's own clock (clockNow); its aliases
 *   are compared every run;
 * - the old tree, only while its index and products file hash to what this cache wrote and it
 *   has no signatures (a signed run, another flavour, a hand edit all change one of those):
 *   otherwise the tree is read and parsed as the full path does;
 * - the cache file itself only whole, of this version, for this store home, tree and filters;
 *   anything else (missing, damaged, another Node's serialisation) is a miss, never an error.
 * Other flavours, --html and signing take the full path (from-store.ts). The cache's file, and
 * how it is read and written, is export-cache-file.ts.
 */
import {closeSync, constants, mkdirSync, openSync, readFileSync, realpathSync, statSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {imageMatches} from '../image/filter.js';
import type {ImageRecord, ImageView} from '../image/types.js';
import type {LocalDirBlobStore} from '../storage/local-dir.js';
import {ensureDigests} from '../store/digests.js';
import {AliasTable} from '../store/alias-table.js';
import {recordStamp} from '../store/record-stamp.js';
import type {Store} from '../store/store.js';
import {CanonicalText, canonicalJson, canonicalJsonAt, streamsDate} from './canonical.js';
import {
  cacheFile,
  fileLine,
  filesOf,
  lines,
  load,
  sameGroup,
  save,
  sha256,
  StaleCache,
  type Body,
  type Cache,
  type Group,
  type ImageEntry,
} from './export-cache-file.js';
import {feedImages, newestUpload, productName, treePath, type FeedImage} from './feed.js';
import {lxdFlavor} from './flavors/lxd.js';
import {documentText, indexOf, renderFeed, type Refusal} from './render.js';
import {
  detachedName,
  INDEX,
  readTree,
  signedName,
  treeItems,
  writeTree,
  type ItemPlace,
  type TreeChange,
  type TreeFile,
  type TreeState,
  type WriteTreeOptions,
} from './tree.js';

/** A product's value sits at this indent in its document: `{ "products": { "<name>": …`. */
const PRODUCT_INDENT = '  ';

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

/**
 * The time by the clock that stamps the store's files, taken by writing one: a record whose ctime
 * is before it cannot change again (during this run or later) without a later ctime, so its stamp
 * can be trusted next time; one changed in the same tick or after could change again unseen (same
 * size, a reused inode) and is left out of the cache. Date.now() would not do: file times come
 * from a coarser clock, and on a network filesystem from another machine's.
 */
function clockNow(dir: string): number {
  mkdirSync(dir, {recursive: true});
  const path = join(dir, 'clock');
  writeFileSync(path, '');
  return statSync(path).ctimeMs;
}

const lxdPath = (): string => lxdFlavor.documents([], {updated: '', pathOf: () => ''})[0]!.path;

/** The tree's index and products text when they are the ones this cache wrote and it has no signatures; then its items are the cached groups' files. */
async function cachedTree(blobs: LocalDirBlobStore, cache: Cache): Promise<{index: string; products: Buffer} | undefined> {
  const products = lxdPath();
  for (const k of [INDEX, products]) for (const s of [signedName(k), detachedName(k)]) if (await blobs.stat(s)) return undefined;
  const [index, bytes] = [await readBytes(blobs, INDEX), await readBytes(blobs, products)];
  if (index === undefined || bytes === undefined || treeHash(index, bytes) !== cache.tree) return undefined;
  return {index: index.toString('utf8'), products: bytes};
}

/**
 * A document's bytes, hashed as they are: the string (and its UTF-8 encoding again for the hash)
 * costs three times the read for a 10 MB products file, and an unchanged run needs only the hash.
 */
async function readBytes(blobs: LocalDirBlobStore, key: string): Promise<Buffer | undefined> {
  // stat refuses a link on the way; the read refuses one put there since.
  if (!(await blobs.stat(key))) return undefined;
  let fd: number;
  try {
    fd = openSync(blobs.localPath(key), constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch {
    return undefined;
  }
  try {
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

const treeHash = (index: string | Buffer, products: string | Buffer): string => `${sha256(index)}:${sha256(products)}`;

/**
 * The view of a record with the alias names of its entry: the feed and the filters read only
 * names, and taking them from the cache spares parsing aliases.json for one changed record.
 */
const withAliases = (record: ImageRecord, names: string): ImageView => ({
  ...record,
  aliases: (JSON.parse(names) as string[]).map((name) => ({name, description: ''})),
});

/** The product (group) of an image, or '' when it is not exported. */
function groupOf(view: ImageView, filters: string[]): string {
  return view.public && imageMatches(view, filters) ? productName(view) : '';
}

function readAliases(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** exportStore for the LXD flavour alone, without --html or signing, into a local directory. */
export async function exportCached(store: Store, blobs: LocalDirBlobStore, opts: CachedExportOptions): Promise<CachedExportResult> {
  try {
    return await exportWith(store, blobs, opts, true);
  } catch (err) {
    // Found before anything was written: every body is read before writeTree.
    if (err instanceof StaleCache) return exportWith(store, blobs, opts, false);
    throw err;
  }
}

async function exportWith(store: Store, blobs: LocalDirBlobStore, opts: CachedExportOptions, useCache: boolean): Promise<CachedExportResult> {
  let tree = blobs.root;
  try {
    tree = realpathSync.native(blobs.root);
  } catch {
    // not made yet: its name is all there is
  }
  const filters = [...(opts.filters ?? [])];
  const options = JSON.stringify([store.paths.home, tree, filters]);
  const file = cacheFile(store, tree);
  const cache = useCache ? load(file, options) : undefined;
  // A dry run saves no cache, so it needs no clock (and writes nothing, not even that).
  const now = opts.dryRun ? 0 : clockNow(dirname(file));
  const fps = await store.fingerprints();
  const aliasText = readAliases(store.paths.aliases);
  const aliasesHash = aliasText === undefined ? '' : sha256(aliasText);
  // An unchanged aliases.json (the usual case) need not even be parsed: every image's aliases are as cached.
  const aliasesKnown = cache?.aliases === aliasesHash;
  let table: AliasTable | undefined;
  const aliases = (): AliasTable => (table ??= AliasTable.parse(aliasText, store.paths.aliases));

  const entries = new Map<string, ImageEntry>();
  /** Entries too fresh to trust next time: left out of the saved cache. */
  const unsettled = new Set<string>();
  const dirty = new Set<string>();
  const read = new Map<string, ImageView>();
  for (const fp of fps) {
    const st = recordStamp(store, fp);
    if (!st) continue;
    const old = cache?.images.get(fp);
    const names =
      aliasesKnown && old
        ? old.aliases
        : JSON.stringify(
            aliases()
              .of(fp)
              .map((a) => a.name),
          );
    if (old && old.stamp === st.stamp && old.aliases === names) {
      entries.set(fp, old);
      continue;
    }
    if (old) dirty.add(old.group);
    const [record] = store.readRecords([fp]);
    if (!record) continue;
    const view = withAliases(record, names);
    const entry = {stamp: st.stamp, aliases: names, group: groupOf(view, filters)};
    entries.set(fp, entry);
    read.set(fp, view);
    dirty.add(entry.group);
    if (st.changed >= now) unsettled.add(fp);
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
  let changed = cache === undefined || [...cache.groups.keys()].some((n) => !members.has(n));
  const toRender: string[] = [];
  for (const [name] of members) {
    const cached = cache?.groups.get(name);
    if (cached && !dirty.has(name)) groups.set(name, cached);
    else toRender.push(name);
  }
  for (const [name, group] of await renderGroups(store, toRender, members, read, entries, unsettled, opts)) {
    const cached = cache?.groups.get(name);
    // The cached object, when the same: a product not changed is not handed to writeTree again.
    const same = cached !== undefined && sameGroup(cached, group);
    groups.set(name, same ? cached : group);
    if (!same) changed = true;
  }
  const order = [...groups.keys()].sort();
  const result = (change: TreeChange): CachedExportResult => ({
    change,
    images: order.flatMap((n) => lines(groups.get(n)!.images).map((fingerprint) => ({fingerprint}))),
    refused: order.flatMap((n) => (groups.get(n)!.refused === '' ? [] : (JSON.parse(groups.get(n)!.refused) as Refusal[]))),
  });

  const old = cache && (await cachedTree(blobs, cache));
  const save_ = (treeHashNow: string, kept: number): void => {
    if (opts.dryRun) return;
    for (const fp of unsettled) entries.delete(fp);
    save(file, options, {images: entries, groups, aliases: aliasesHash, tree: treeHashNow, kept});
  };
  if (old && !changed) {
    // The tree holds what this cache describes, and every product renders as before: writeTree
    // would copy, write and remove nothing (its index and products text are these, no signature
    // is there to drop), and would find every file kept.
    if (read.size > 0 || !aliasesKnown) save_(cache.tree, cache.kept);
    return result({written: [], removed: [], kept: cache.kept});
  }

  const updated = streamsDate(order.reduce((max, n) => (groups.get(n)!.newest > max ? groups.get(n)!.newest : max), newestUpload([])));
  const [head] = lxdFlavor.documents([], {updated, pathOf: treePath});
  const products: Record<string, CanonicalText> = {};
  for (const n of order) {
    const {text} = groups.get(n)!.body();
    if (text !== '') products[n] = new CanonicalText(text);
  }
  const documents = [{...head!, doc: {...head!.doc, products}}];
  const text = canonicalJson(documents[0]!.doc);
  const indexText = documentText(indexOf(documents, updated));
  const productsHash = sha256(text);

  /** Products whose files may differ from the old tree's: all of them unless the tree is the cached one. */
  const moved = new Set(old ? [...groups.keys()].filter((n) => groups.get(n) !== cache.groups.get(n)) : groups.keys());
  if (old) for (const n of cache.groups.keys()) if (!groups.has(n)) moved.add(n);
  /**
   * With the cached tree, writeTree is given only the moved products' files, old and new (10,000
   * unchanged products' 15,000 items cost it 100 ms); every other file is in the tree already, as
   * the old index named it, and counted kept. A moved product's file that an unchanged one also
   * names is in the tree too: it goes in as an old item, so writeTree keeps it as the full path would.
   */
  const files = new Map<string, TreeFile>();
  for (const n of order) if (moved.has(n)) for (const f of filesOf(groups.get(n)!)) if (!files.has(f.key)) files.set(f.key, f);
  const items: ItemPlace[] = [];
  if (old)
    for (const n of moved) for (const f of cache.groups.has(n) ? filesOf(cache.groups.get(n)!) : []) items.push({path: f.key, sha256: f.sha256, size: f.size});
  // The moved products name the very files they named before (a changed title, alias or
  // property): the tree's set of files is the same, so the unchanged products' need no look.
  const sameFiles = old !== undefined && items.length === files.size && items.every((i) => files.has(i.path));
  const still = new Set<string>();
  if (old && !sameFiles) {
    for (const n of order) if (!moved.has(n)) for (const line of lines(groups.get(n)!.body().files)) still.add(line.slice(0, line.indexOf('\t')));
    for (const f of files.values()) if (still.has(f.key)) items.push({path: f.key, sha256: f.sha256, size: f.size});
  }
  const state: TreeState = old
    ? {
        index: {path: INDEX, text: old.index, json: {}},
        // writeTree only compares it with the new text: by hash, the 10 MB need not become a string.
        products: new Map([[head!.path, {path: head!.path, text: productsHash === cache.tree.split(':')[1] ? text : '', json: {}}]]),
        items,
      }
    : await readTree(blobs);
  const itemPaths = [...files.keys(), ...still];
  const change = await writeTree(
    blobs,
    state,
    {files: [...files.values()], documents: [{path: head!.path, text, itemPaths}], index: {path: INDEX, text: indexText}},
    opts,
  );
  const total = sameFiles ? cache!.kept : new Set(itemPaths).size;
  // Every file of an unchanged product was in the tree and stays: kept, as the full path counts it.
  change.kept += total - files.size;
  save_(`${sha256(indexText)}:${productsHash}`, total);
  return result(change);
}

/**
 * These products from their images' records, in one render (10,000 products rendered one by one
 * took 0.4 s more than at once): a product's value depends only on its own images, so each is
 * then taken out of the one document with its files, images and refusals.
 */
async function renderGroups(
  store: Store,
  names: readonly string[],
  members: ReadonlyMap<string, readonly string[]>,
  read: ReadonlyMap<string, ImageView>,
  entries: ReadonlyMap<string, ImageEntry>,
  unsettled: Set<string>,
  opts: CachedExportOptions,
): Promise<Map<string, Group>> {
  const views: ImageView[] = [];
  for (const fp of names.flatMap((n) => members.get(n)!)) {
    let view = read.get(fp) ?? store.readRecords([fp]).map((r) => withAliases(r, entries.get(fp)!.aliases))[0];
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
  const doc = feed.documents[0]!;
  const products = (doc.doc.products ?? {}) as Record<string, unknown>;
  const out = new Map<string, Group>(names.map((n) => [n, {images: '', refused: '', newest: newestUpload([]), body: () => ({text: '', files: ''})}]));
  const other = Object.keys(products).find((k) => !out.has(k));
  if (other !== undefined) throw new Error(`export cache: the images of products ${names.join(', ')} made product ${other}`);
  const byProduct = new Map<string, FeedImage[]>();
  for (const image of images) {
    const list = byProduct.get(image.product);
    if (list) list.push(image);
    else byProduct.set(image.product, [image]);
  }
  const productOf = new Map(images.map((i) => [i.fingerprint, i.product]));
  const refused = new Map<string, Refusal[]>();
  for (const r of feed.refused) {
    const name = productOf.get(r.fingerprint)!;
    refused.set(name, [...(refused.get(name) ?? []), r]);
  }
  // namedFiles' rule (each path once, from the image file of that sha256 and size), per product, in one walk of the items.
  const bySha = new Map<string, FeedImage['files'][number]>(images.flatMap((image) => image.files.map((f) => [`${f.sha256}/${f.size}`, f] as const)));
  const filesOfProduct = new Map<string, Map<string, string>>();
  for (const item of treeItems(doc.doc)) {
    const f = bySha.get(`${item.sha256}/${item.size}`);
    if (!f) continue;
    const mine = filesOfProduct.get(item.product) ?? new Map<string, string>();
    filesOfProduct.set(item.product, mine);
    if (!mine.has(item.path)) mine.set(item.path, fileLine({key: item.path, size: f.size, sha256: f.sha256, source: f.source}));
  }
  for (const [name, mine] of byProduct) {
    const value = products[name];
    const body: Body = {
      text: value === undefined ? '' : canonicalJsonAt(value, PRODUCT_INDENT),
      files: [...(filesOfProduct.get(name)?.values() ?? [])].join('\n'),
    };
    const r = refused.get(name);
    out.set(name, {images: mine.map((i) => i.fingerprint).join('\n'), refused: r ? JSON.stringify(r) : '', newest: newestUpload(mine), body: () => body});
  }
  return out;
}
