/**
 * Changing a tree one image at a time (`img simplestreams add` and `remove`), on the documents
 * as the tree has them: products, versions and items img did not write (a mirror of someone
 * else's feed) are kept as they are, and only the versions and items of the image in question
 * change. The tree writer then applies the usual order: files, products, index, deletions.
 */
import {NotFoundError, UserError} from '../errors.js';
import {HashCache} from '../io/hash-cache.js';
import {readImage} from '../image/read-image.js';
import type {ImageView} from '../image/types.js';
import type {BlobStore} from '../storage/index.js';
import {newRecord} from '../store/record.js';
import {checkNewAliases} from '../store/alias-table.js';
import {hashFile} from '../io/hash-file.js';
import {createHash} from 'node:crypto';
import {streamsDate} from './canonical.js';
import {feedImages, treePath, type FeedImage} from './feed.js';
import type {TreeWriteOptions, TreeResult} from './from-store.js';
import {namedFiles} from './render.js';
import {parseProducts} from './products.js';
import {documentText, FLAVORS, flavorsNamed, indexOf, renderFeed, type FeedDocument, type Flavor} from './render.js';
import {INDEX, readTree, writeTree, type TreeDocument, type TreeFile, type TreeState} from './tree.js';
import {nowRfc3339} from '../time.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export interface AddOptions extends TreeWriteOptions {
  aliases?: readonly string[];
  /** Where digests of files already read are kept ($IMG_HOME/cache/hashes.json). */
  hashCache?: string;
  onHashing?: (bytes: number) => void;
}

/** An image's files (unified, or metadata + root) as the store would record them, hashed at most once while they stay unchanged. */
async function describeFiles(paths: readonly string[], cacheFile: string | undefined, onHashing?: (bytes: number) => void): Promise<ImageView> {
  const cache = cacheFile ? await HashCache.open(cacheFile) : undefined;
  const key = paths.join('\0');
  const cached = (await Promise.all(paths.map(async (p) => cache?.get(p)))) as Array<{sha256: string; md5?: string; extra?: unknown} | undefined>;
  const hit = cached[0]?.extra as {paths?: string; view?: ImageView} | undefined;
  if (cached.every((c) => c !== undefined) && hit?.paths === key && hit.view) return hit.view;
  const read = await readImage(
    paths.map((path) => ({path})),
    {scan: true, ...(onHashing ? {onProgress: (done: number) => onHashing(done)} : {})},
  );
  if (!read.metadata || !read.type) throw new Error('readImage did not scan the image');
  const record = newRecord({...read, metadata: read.metadata, type: read.type}, {public: true, properties: {}});
  // A split image's root has no digest of its own from the fingerprint pass; md5 is for OpenStack.
  for (const [i, file] of record.files.entries()) {
    const [sha256, md5] = [createHash('sha256'), createHash('md5')];
    await hashFile(paths[i]!, [sha256, md5], onHashing);
    file.sha256 = sha256.digest('hex');
    file.md5 = md5.digest('hex');
  }
  const view: ImageView = {...record, aliases: []};
  if (cache) {
    for (const [i, p] of paths.entries()) await cache.set(p, {sha256: view.files[i]!.sha256!, ...(i === 0 ? {extra: {paths: key, view}} : {})});
    await cache.save();
  }
  return view;
}

/** The flavours a tree already holds, by the products paths they write. */
function flavorsOf(state: TreeState): Flavor[] {
  return [...FLAVORS.values()].filter((f) => f.documents([], {updated: '', pathOf: () => ''}).some((d) => state.products.has(d.path)));
}

/** Add one image (its files: a unified tarball, or metadata + root) to the tree as a new version of its product. */
export async function addImage(blobs: BlobStore, paths: readonly string[], opts: AddOptions = {}): Promise<TreeResult> {
  if (paths.length < 1 || paths.length > 2) throw new UserError('give one image: a unified tarball, or a metadata tarball and a root file', {code: 'Usage'});
  checkNewAliases([...(opts.aliases ?? [])]);
  const view = await describeFiles(paths, opts.hashCache, opts.onHashing);
  view.aliases = (opts.aliases ?? []).map((name) => ({name, description: ''}));
  view.uploaded_at = nowRfc3339();
  const old = await readTree(blobs);
  const flavors = opts.flavors ? flavorsNamed(opts.flavors) : flavorsOf(old).length > 0 ? flavorsOf(old) : flavorsNamed(['lxd']);
  const lxd = old.products.get('streams/v1/images.json')?.json;
  if (lxd && parseProducts(lxd).images.some((i) => i.fingerprint === view.fingerprint)) {
    throw new UserError(`Image with same fingerprint already exists in the tree: ${view.fingerprint}`, {code: 'ImageExists'});
  }
  const image = feedImages([view], () => '')[0]!;
  image.files.forEach((f, i) => (f.source = paths[i]!));
  const base = image.version;
  for (let n = 2; clashes(old, image); n++) image.version = `${base}_${n}`;
  const updated = streamsDate(view.uploaded_at);
  const feed = renderFeed([image], flavors, {updated, pathOf: treePath});
  for (const r of feed.refused) if (opts.flavors) throw new UserError(`${r.flavor}: ${r.reason}`, {code: 'NotExpressible'});
  const documents = feed.documents.map((d) => merge(old.products.get(d.path)?.json, d, image.version));
  const files = namedFiles(feed.documents, [image]);
  return finish(blobs, old, documents, files, updated, opts, [image], feed.refused);
}

/** A version key already holding an item of this image's names with other bytes. */
function clashes(state: TreeState, image: FeedImage): boolean {
  for (const doc of state.products.values()) {
    const product = isObj(doc.json.products) ? doc.json.products[image.product] : undefined;
    const version = isObj(product) && isObj(product.versions) ? product.versions[image.version] : undefined;
    if (!isObj(version) || !isObj(version.items)) continue;
    const items = Object.values(version.items).filter(isObj);
    if (image.files.some((f) => items.some((i) => i.path === treePath(image, f) && i.sha256 !== f.sha256))) return true;
  }
  return false;
}

/** The new document's one version merged into the tree's document: the product's fields follow its newest version, aliases add up. */
function merge(old: Obj | undefined, next: FeedDocument, version: string): FeedDocument {
  if (!old || !isObj(old.products)) return next;
  const doc: Obj = {...old, updated: next.doc.updated};
  const products: Obj = {...old.products};
  for (const [name, fresh] of Object.entries(next.doc.products as Obj)) {
    const was = products[name];
    if (!isObj(was) || !isObj(was.versions)) {
      products[name] = fresh;
      continue;
    }
    const f = fresh as Obj & {versions: Obj};
    const versions: Obj = {...was.versions};
    const prior = isObj(versions[version]) && isObj((versions[version] as Obj).items) ? ((versions[version] as Obj).items as Obj) : {};
    const items: Obj = {...prior};
    for (const [k, item] of Object.entries((f.versions[version] as {items: Obj}).items))
      items[k] = isObj(items[k]) ? {...(items[k] as Obj), ...(item as Obj)} : item;
    versions[version] = {...(isObj(versions[version]) ? (versions[version] as Obj) : {}), ...(f.versions[version] as Obj), items};
    const newest = Object.keys(versions).every((v) => v <= version);
    const aliases = [...new Set([...String(was.aliases ?? '').split(','), ...String(f.aliases ?? '').split(',')].filter((a) => a !== ''))].sort().join(',');
    products[name] = {...(newest ? {...was, ...f} : was), versions, ...(aliases ? {aliases} : {})};
  }
  doc.products = products;
  return {...next, doc};
}

/** Take an image out of the tree: its items in every flavour (a metadata item it shares stays for the others), empty versions and products. */
export async function removeImage(blobs: BlobStore, fingerprint: string, opts: TreeWriteOptions = {}): Promise<TreeResult> {
  const old = await readTree(blobs);
  const lxd = old.products.get('streams/v1/images.json')?.json;
  if (!lxd) throw new NotFoundError(`the tree has no LXD products (streams/v1/images.json) to find image ${fingerprint} in`);
  const all = parseProducts(lxd).images;
  const matches = all.filter((i) => i.fingerprint.startsWith(fingerprint.toLowerCase()));
  if (matches.length === 0) throw new NotFoundError(`Image not found in the tree: ${fingerprint}`);
  if (matches.length > 1) throw new UserError(`More than one image in the tree matches ${fingerprint}`, {code: 'AmbiguousPrefix'});
  const target = matches[0]!;
  const others = all.filter((i) => i !== target).flatMap((i) => i.files);
  const stillUsed = new Set(others.flatMap((f) => [f.path, f.sha256]));
  // By path in the LXD products; by sha256 in the others (MAAS names the root otherwise, image-ids items have no path).
  const gone = new Set(target.files.flatMap((f) => [f.path, f.sha256]).filter((p) => !stillUsed.has(p)));
  const documents: FeedDocument[] = [];
  for (const [path, doc] of old.products) {
    const entry = isObj(old.index?.json.index) ? Object.entries(old.index.json.index).find(([, e]) => isObj(e) && e.path === path) : undefined;
    documents.push({
      contentId: entry?.[0] ?? path,
      datatype: String((entry?.[1] as Obj | undefined)?.datatype ?? doc.json.datatype ?? ''),
      path,
      doc: without(doc.json, gone, target.fingerprint),
    });
  }
  const updated = typeof old.index?.json.updated === 'string' ? old.index.json.updated : streamsDate(nowRfc3339());
  return finish(blobs, old, documents, [], updated, opts, [], []);
}

function without(doc: Obj, gone: ReadonlySet<string>, fingerprint: string): Obj {
  const products: Obj = {};
  for (const [name, p] of Object.entries(isObj(doc.products) ? doc.products : {})) {
    if (!isObj(p) || !isObj(p.versions)) continue;
    const versions: Obj = {};
    for (const [key, v] of Object.entries(p.versions)) {
      if (!isObj(v) || !isObj(v.items)) continue;
      const items = Object.fromEntries(
        Object.entries(v.items)
          .filter(([, i]) => !(isObj(i) && ((typeof i.path === 'string' && gone.has(i.path)) || (typeof i.sha256 === 'string' && gone.has(i.sha256)))))
          .map(([k, i]) => [
            k,
            isObj(i) ? Object.fromEntries(Object.entries(i).filter(([f, value]) => !(f.startsWith('combined_') && value === fingerprint))) : i,
          ]),
      );
      if (Object.keys(items).length > 0) versions[key] = {...v, items};
    }
    if (Object.keys(versions).length > 0) products[name] = {...p, versions};
  }
  return {...doc, products};
}

async function finish(
  blobs: BlobStore,
  old: TreeState,
  documents: FeedDocument[],
  files: TreeFile[],
  updated: string,
  opts: TreeWriteOptions,
  images: FeedImage[],
  refused: TreeResult['refused'],
): Promise<TreeResult> {
  // The index keeps the entries of documents this change did not touch.
  const all = new Map<string, FeedDocument>();
  const entries = isObj(old.index?.json.index) ? old.index.json.index : {};
  for (const [id, e] of Object.entries(entries)) {
    const doc = isObj(e) && typeof e.path === 'string' ? old.products.get(e.path) : undefined;
    if (doc) all.set(doc.path, {contentId: id, datatype: String((e as Obj).datatype ?? ''), path: doc.path, doc: doc.json});
  }
  for (const d of documents) all.set(d.path, {...d, contentId: all.get(d.path)?.contentId ?? d.contentId});
  const docs: TreeDocument[] = [...all.values()].map((d) => ({
    path: d.path,
    text: old.products.get(d.path)?.json === d.doc ? old.products.get(d.path)!.text : documentText(d.doc),
  }));
  const index = indexOf([...all.values()], updated);
  const extras = opts.html ? [{path: 'index.html', text: opts.html(images, {documents: [...all.values()], index, refused})}] : [];
  const change = await writeTree(blobs, old, {files, documents: docs, index: {path: INDEX, text: documentText(index)}, extras}, opts);
  return {change, images, refused};
}
