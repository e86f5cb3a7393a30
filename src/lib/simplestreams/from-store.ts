/**
 * The store's public images as a simplestreams tree (`img simplestreams export`): the tree is
 * made to hold exactly the matching images, in every flavour asked for; what the tree held
 * before and no longer matches goes, once the new index no longer names it.
 */
import {imageMatches} from '../image/filter.js';
import type {ImageView} from '../image/types.js';
import type {Signer} from '../sign/signer.js';
import type {BlobStore} from '../storage/index.js';
import {LocalDirBlobStore} from '../storage/local-dir.js';
import {ensureDigests} from '../store/digests.js';
import type {Store} from '../store/store.js';
import {streamsDate} from './canonical.js';
import {exportCached} from './export-cache.js';
import {feedImages, newestUpload, treePath, type FeedImage} from './feed.js';
import {lxdFlavor} from './flavors/lxd.js';
import {documentText, flavorsNamed, namedFiles, renderFeed, type Refusal, type RenderedFeed} from './render.js';
import {INDEX, readTree, writeTree, type TreeChange, type TreeDocument} from './tree.js';

export interface TreeWriteOptions {
  /** --flavor names; default lxd. */
  flavors?: readonly string[];
  signer?: Signer;
  /** Also write index.html, made by this function from the images and the rendered feed. */
  html?: (images: readonly FeedImage[], feed: RenderedFeed) => string;
  dryRun?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface ExportOptions extends TreeWriteOptions {
  /** `img image list` filters. */
  filters?: readonly string[];
  /** Reading files to compute missing digests (md5 for OpenStack, a split root's own sha256). */
  onHashing?: (bytes: number) => void;
  /** false: render and compare the whole store, as without a cache (tests compare the two). */
  cache?: boolean;
}

/** `I`: what is known of each image (exportStore's cache keeps only fingerprints of unchanged ones). */
export interface TreeResult<I extends Pick<FeedImage, 'fingerprint'> = FeedImage> {
  change: TreeChange;
  /** In feed order (by product, version, fingerprint). */
  images: I[];
  refused: Refusal[];
}

/** The public images that match, with the digests the chosen flavours need computed (once: the store keeps them). */
export async function publicImages(
  store: Store,
  opts: {filters?: readonly string[]; md5?: boolean; onHashing?: (bytes: number) => void} = {},
): Promise<ImageView[]> {
  const views = (await store.list()).filter((v) => v.public && imageMatches(v, [...(opts.filters ?? [])]));
  const out: ImageView[] = [];
  for (const view of views) {
    const missing = view.files.some((f) => !f.sha256 || (opts.md5 && !f.md5));
    out.push(missing ? await ensureDigests(store, view.fingerprint, opts.onHashing) : view);
  }
  return out;
}

export async function exportStore(store: Store, blobs: BlobStore, opts: ExportOptions = {}): Promise<TreeResult<Pick<FeedImage, 'fingerprint'>>> {
  const flavors = flavorsNamed(opts.flavors ?? ['lxd']);
  // The common case (an LXD tree in a directory) goes through the cache: export-cache.ts.
  if (opts.cache !== false && blobs instanceof LocalDirBlobStore && flavors.length === 1 && flavors[0] === lxdFlavor && !opts.html && !opts.signer) {
    return exportCached(store, blobs, opts);
  }
  const views = await publicImages(store, {...opts, md5: flavors.some((f) => f.needsMd5)});
  return writeImages(
    blobs,
    feedImages(views, (fp, role) => store.filePath(fp, role)),
    opts,
  );
}

/** Render these images in the chosen flavours and bring the tree to exactly that. */
export async function writeImages(blobs: BlobStore, images: FeedImage[], opts: TreeWriteOptions): Promise<TreeResult> {
  const flavors = flavorsNamed(opts.flavors ?? ['lxd']);
  const feed = renderFeed(images, flavors, {updated: streamsDate(newestUpload(images)), pathOf: treePath});
  const documents: TreeDocument[] = feed.documents.map((d) => ({path: d.path, text: documentText(d.doc), json: d.doc}));
  const files = namedFiles(feed.documents, images);
  const extras = opts.html ? [{path: 'index.html', text: opts.html(images, feed)}] : [];
  const old = await readTree(blobs);
  const change = await writeTree(blobs, old, {files, documents, index: {path: INDEX, text: documentText(feed.index)}, extras}, opts);
  return {change, images, refused: feed.refused};
}
