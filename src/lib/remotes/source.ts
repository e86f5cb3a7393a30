import type {FileRole, ImageSource, ImageView, InstanceType, ListedAlias} from '../image/types.js';

/** What an image reference asks for beyond its name: LXD picks among an alias's images by these. */
export interface ResolveWant {
  architecture?: string;
  type?: InstanceType;
}

/** One of an image's files, opened: its bytes and what they must be (a download verifies itself on import). */
export type SourceFile = Extract<ImageSource, {stream: unknown}> & {size: number};

/**
 * Where images come from, whatever the protocol (imgadm's sources/source.js): the local store
 * now; simplestreams feeds, LXD servers, IMGAPI/DSAPI and URLs as later files beside this one.
 * Images are described in LXD's api.Image shape (ImageView), so that listings, filters and
 * rendering work the same for every source.
 */
export interface Source {
  /** The remote's name as the user writes it (`local`, `images`…). */
  readonly remote: string;
  readonly protocol: string;
  list(): Promise<ImageView[]>;
  /** Aliases the source publishes, by name, with the type of their image. */
  aliases(): Promise<ListedAlias[]>;
  /** An alias, fingerprint or unique fingerprint prefix, as LXD resolves it for `want`. */
  resolve(name: string, want?: ResolveWant): Promise<ImageView>;
  info(fingerprint: string): Promise<ImageView>;
  /** Open one file of an image as a stream, with its expected size and (where the source knows it) sha256. */
  open(image: ImageView, role: FileRole, opts?: {signal?: AbortSignal}): Promise<SourceFile>;
}
