/**
 * `img simplestreams mirror`: a chosen part of a remote feed copied into a tree, as
 * sstream-mirror does: the versions that match the filters, the newest `max` of each product,
 * their items at the same paths (so the tree is a faithful copy a client reads as it reads the
 * source), every file downloaded with its size and sha256 checked as it streams. Every download
 * ends before the tree is touched, so a file the source serves wrong fails the mirror with the
 * tree as it was; then the tree writer puts files, products, index, in that order.
 *
 * Filters are `img image list`'s: on an LXD products file they pick images (a version then keeps
 * only the items of the images that match); on any other datatype they are matched against each
 * version's product and version fields, and pick whole versions.
 */
import {mkdir} from 'node:fs/promises';
import {join} from 'node:path';
import {UserError} from '../errors.js';
import {downloadFile, removePartial} from '../http/download.js';
import {eachLimited} from '../io/each-limited.js';
import {imageMatches} from '../image/filter.js';
import type {ImageView} from '../image/types.js';
import type {BlobStore} from '../storage/index.js';
import type {TreeWriteOptions} from './from-store.js';
import {parseProducts, safeItemPath} from './products.js';
import type {Feed, FeedDoc} from './read-feed.js';
import {versionsOf} from './read-feed.js';
import {documentText, type FeedDocument} from './render.js';
import {INDEX, readTree, treeItems, writeTree, type TreeChange, type TreeFile, type TreeItem} from './tree.js';
import type {StreamImage} from './types.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const DOWNLOAD_CONCURRENCY = 4;

export interface MirrorOptions extends Pick<TreeWriteOptions, 'signer' | 'html' | 'dryRun' | 'onProgress'> {
  filters?: readonly string[];
  /** Newest versions kept per product (after filtering), as sstream-mirror's --max. */
  max?: number;
  /** Where files are downloaded to before they go into the tree; a killed mirror resumes from them. */
  workDir: string;
}

export interface MirroredVersion {
  contentId: string;
  product: string;
  version: string;
}

export interface MirrorResult {
  versions: MirroredVersion[];
  /** Files downloaded (or, with dryRun, that would be), with their sizes. */
  fetched: Array<{path: string; size: number}>;
  change: TreeChange;
}

/** What imageMatches needs of an image, for a version of a products file of any datatype. */
function viewOf(fields: Record<string, string>, aliases: readonly string[], image?: StreamImage): ImageView {
  return {
    fingerprint: image?.fingerprint ?? '',
    type: image?.type ?? 'container',
    architecture: image?.architecture ?? fields.arch ?? '',
    size: image?.size ?? 0,
    filename: image?.filename ?? '',
    properties: image ? {...fields, ...image.properties} : fields,
    public: true,
    cached: false,
    auto_update: false,
    aliases: aliases.map((name) => ({name, description: ''})),
  } as ImageView;
}

/** The string and number fields of the objects, later ones winning (python simplestreams' flattening). */
function scalars(...objects: Obj[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const o of objects) for (const [k, v] of Object.entries(o)) if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
  return out;
}

/** The document with only the chosen versions (and, of LXD versions, only the items of matching images); undefined when none is left. */
function select(doc: FeedDoc, opts: MirrorOptions, chosen: MirroredVersion[]): Obj | undefined {
  const filters = [...(opts.filters ?? [])];
  const images = new Map<string, StreamImage[]>();
  if (filters.length > 0) {
    for (const i of parseProducts(doc.json).images) {
      const key = `${i.product}\0${i.version}`;
      images.set(key, [...(images.get(key) ?? []), i]);
    }
  }
  const products: Obj = {};
  for (const {product, version, p, v} of versionsOf(doc.json)) {
    if (!isObj(v.items)) continue;
    let items: Obj = v.items;
    if (filters.length > 0) {
      const fields = scalars(p, v);
      const aliases = [
        product,
        ...String(p.aliases ?? '')
          .split(',')
          .filter((a) => a !== ''),
      ];
      const ofVersion = images.get(`${product}\0${version}`);
      if (ofVersion) {
        const paths = new Set(ofVersion.filter((i) => imageMatches(viewOf(fields, aliases, i), filters)).flatMap((i) => i.files.map((f) => f.path)));
        items = Object.fromEntries(Object.entries(v.items).filter(([, i]) => isObj(i) && typeof i.path === 'string' && paths.has(i.path)));
      } else if (!imageMatches(viewOf(fields, aliases), filters)) items = {};
    }
    if (Object.keys(items).length === 0) continue;
    const was = isObj(products[product]) ? (products[product] as Obj) : {...p, versions: {}};
    products[product] = {...was, versions: {...(was.versions as Obj), [version]: {...v, items}}};
  }
  for (const [name, p] of Object.entries(products)) {
    const versions = (p as {versions: Obj}).versions;
    const keys = Object.keys(versions).sort();
    const keep = opts.max === undefined ? keys : keys.slice(Math.max(0, keys.length - opts.max));
    (p as Obj).versions = Object.fromEntries(keep.map((k) => [k, versions[k]]));
    for (const version of keep) chosen.push({contentId: doc.contentId, product: name, version});
  }
  return Object.keys(products).length > 0 ? {...doc.json, products} : undefined;
}

/** Each file once, with what it must be: an item the source gives no size or sha256 cannot be mirrored verified. */
function filesOf(items: readonly TreeItem[]): Map<string, {size: number; sha256: string}> {
  const files = new Map<string, {size: number; sha256: string}>();
  for (const i of items) {
    const where = `${i.product} ${i.version} ${i.item} (${i.path})`;
    if (i.size === undefined || i.sha256 === undefined || !/^[0-9a-f]{64}$/.test(i.sha256))
      throw new UserError(`${where}: the feed gives no ${i.size === undefined ? 'size' : 'sha256'}, so it cannot be mirrored verified`, {code: 'InvalidFeed'});
    // Refused before anything is fetched, as remotes refuse it: the tree would refuse the key anyway, after the download.
    if (!safeItemPath(i.path)) throw new UserError(`${where}: an unsafe path`, {code: 'InvalidFeed'});
    // The tree's own documents are written by the mirror, never taken from an item.
    if (i.path.startsWith('streams/') || i.path === 'index.html')
      throw new UserError(`${where}: an item may not be one of the tree's documents`, {code: 'InvalidFeed'});
    const seen = files.get(i.path);
    if (seen && (seen.size !== i.size || seen.sha256 !== i.sha256))
      throw new UserError(`${where}: another item names the same file with another size or sha256`, {code: 'InvalidFeed'});
    files.set(i.path, {size: i.size, sha256: i.sha256});
  }
  return files;
}

export async function mirrorFeed(feed: Feed, blobs: BlobStore, opts: MirrorOptions): Promise<MirrorResult> {
  if (opts.max !== undefined && (!Number.isSafeInteger(opts.max) || opts.max < 1))
    throw new UserError(`--max must be a whole number, 1 or more (got ${opts.max})`, {code: 'Usage'});
  const versions: MirroredVersion[] = [];
  const documents: FeedDocument[] = [];
  for (const doc of feed.documents) {
    const json = select(doc, opts, versions);
    if (json) documents.push({contentId: doc.contentId, datatype: doc.datatype, path: doc.path, doc: json});
  }
  const files = filesOf(documents.flatMap((d) => treeItems(d.doc)));
  const old = await readTree(blobs);
  const known = new Map([...old.products.values()].flatMap((d) => treeItems(d.json)).map((i) => [i.path, i] as const));
  const fetched = [...files].filter(([path, f]) => known.get(path)?.sha256 !== f.sha256 || known.get(path)?.size !== f.size).map(([path, f]) => ({path, ...f}));
  const partials = new Map<string, string>();
  if (!opts.dryRun) {
    await mkdir(opts.workDir, {recursive: true});
    await download(feed.base, fetched, opts, partials);
  }
  const treeFiles: TreeFile[] = [...files].map(([key, f]) => ({
    key,
    ...f,
    // Files the tree already holds are kept by the writer without opening them.
    source: partials.get(key) ?? (() => Promise.reject(new Error(`${key} was not downloaded`))),
  }));
  const index = indexOf(feed.index, documents);
  const extras = opts.html ? [{path: 'index.html', text: opts.html([], {documents, index, refused: []})}] : [];
  const {onProgress: _, ...writeOpts} = opts;
  const change = await writeTree(
    blobs,
    old,
    {files: treeFiles, documents: documents.map((d) => ({path: d.path, text: documentText(d.doc)})), index: {path: INDEX, text: documentText(index)}, extras},
    writeOpts,
  );
  for (const partial of partials.values()) await removePartial(partial);
  return {versions, fetched: fetched.map(({path, size}) => ({path, size})), change};
}

/** The source's index with only the mirrored documents, each entry's fields kept but its path and product list. */
function indexOf(source: Obj, documents: readonly FeedDocument[]): Obj {
  const entries = isObj(source.index) ? source.index : {};
  const index: Obj = {};
  for (const d of documents) {
    const was = isObj(entries[d.contentId]) ? (entries[d.contentId] as Obj) : {datatype: d.datatype, format: 'products:1.0'};
    index[d.contentId] = {...was, path: d.path, products: Object.keys(d.doc.products as Obj).sort()};
  }
  return {...source, index};
}

/** Every file into its partial (named by its sha256, so a later run resumes it), a few at a time; the first failure stops the rest. */
async function download(
  base: string,
  files: ReadonlyArray<{path: string; size: number; sha256: string}>,
  opts: MirrorOptions,
  partials: Map<string, string>,
): Promise<void> {
  const total = files.reduce((n, f) => n + f.size, 0);
  let done = 0;
  await eachLimited(files, DOWNLOAD_CONCURRENCY, async (f, signal) => {
    const partial = join(opts.workDir, `${f.sha256}.partial`);
    await downloadFile(`${base}/${f.path}`, partial, {
      name: f.path,
      size: f.size,
      sha256: f.sha256,
      signal,
      onProgress: (n) => opts.onProgress?.((done += n), total),
    });
    partials.set(f.path, partial);
  });
}
