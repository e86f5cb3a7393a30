import type {ResponseCache} from '../http/cache.js';
import type {FileRole, ImageSource, ImageView, InstanceType, ListedAlias} from '../image/types.js';
import type {Store} from '../store/store.js';
import type {Warning} from '../warn.js';

/** What an image reference asks for beyond its name: LXD picks among an alias's images by these. */
export interface ResolveWant {
  architecture?: string;
  type?: InstanceType;
}

/** One of an image's files, opened: its bytes and what they must be (a download verifies itself on import). */
export type SourceFile = Extract<ImageSource, {stream: unknown}> & {size: number};

/** Where a download puts each file: a `.partial` under the store's tmp/downloads, kept across a failure so that a retry resumes it. */
export interface DownloadTarget {
  partial(role: FileRole): string;
}

export interface DownloadOptions {
  signal?: AbortSignal;
  /** Bytes received so far over all files (resumed bytes included), and the total when known. */
  onProgress?: (done: number, total: number | undefined) => void;
}

/**
 * Where images come from, whatever the protocol (imgadm's sources/source.js): the local store,
 * simplestreams feeds, LXD servers, direct URLs (and IMGAPI/DSAPI, later), one file each beside
 * this one. Images are described in LXD's api.Image shape (ImageView), so that listings, filters
 * and rendering work the same for every source.
 */
export interface Source {
  /** The remote's name as the user writes it (`local`, `images`…). */
  readonly remote: string;
  readonly protocol: string;
  /** The server as an image's update_source records it (none for the local store). */
  readonly server?: string;
  /** The certificate pinned for the server (PEM), recorded in update_source as LXD does. */
  readonly certificate?: string;
  list(): Promise<ImageView[]>;
  /** Aliases the source publishes, by name, with the type of their image. */
  aliases(): Promise<ListedAlias[]>;
  /** An alias, fingerprint or unique fingerprint prefix, as LXD resolves it for `want`. */
  resolve(name: string, want?: ResolveWant): Promise<ImageView>;
  info(fingerprint: string): Promise<ImageView>;
  /** Open one file of an image as a stream, with its expected size and (where the source knows it) sha256. */
  open(image: ImageView, role: FileRole, opts?: {signal?: AbortSignal}): Promise<SourceFile>;
  /**
   * Fetch the image's files into `target` (in parallel where they are separate downloads,
   * resuming a partial file where the server allows ranges), each checked against the size and
   * sha256 the source declares while it streams. Returns them as import sources, which the
   * import checks again as a whole against the fingerprint.
   */
  download(image: ImageView, target: DownloadTarget, opts?: DownloadOptions): Promise<ImageSource[]>;
}

/** What every Source is made with: the store, the cache of remote indexes, and where warnings go. */
export interface SourceContext {
  store: Store;
  /** The cache of remote indexes, made on first use (and the HTTP layer with it). */
  indexCache(): Promise<ResponseCache>;
  /** The machine's architecture: LXD prefers its images, and lists short aliases for it only. */
  hostArchitecture: string;
  onWarning?: (w: Warning) => void;
}
