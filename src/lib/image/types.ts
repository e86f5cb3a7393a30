/**
 * The image model every layer above names: what an image is, whichever source it comes from (the
 * local store, a simplestreams feed, an LXD server). A leaf: it imports only the archive formats.
 */
import type {Readable} from 'node:stream';
import type {Compression, PayloadKind} from '../archive/detect.js';

/** An image's files: one unified tarball, or a metadata tarball and a root file. */
export type FileRole = 'unified' | 'metadata' | 'rootfs';

export type InstanceType = 'container' | 'virtual-machine';

export interface ImageFile {
  role: FileRole;
  size: number;
  kind: PayloadKind;
  compression: Compression;
  /** Extension LXD uses for this file in export names (".tar.xz", ".squashfs"…). */
  extension: string;
  /** Digests of this file alone; in the store, sha1 and md5 (and a rootfs's sha256) are filled in on first use. */
  sha256?: string;
  sha1?: string;
  md5?: string;
}

/** Where an image copied with --auto-update came from (LXD's api.ImageSource). */
export interface UpdateSource {
  alias: string;
  certificate: string;
  protocol: string;
  server: string;
  image_type: string;
}

/** What the last auto-update check of an image found (img's own: LXD only logs it). */
export interface UpdateCheck {
  at: string;
  outcome: 'up-to-date' | 'refreshed' | 'unreachable' | 'alias-gone' | 'failed';
  /** Why, in words: the error met, or the fingerprint it was refreshed from. */
  detail?: string;
}

/** What img keeps about one image (images/<fp>/image.json). Aliases live in aliases.json. */
export interface ImageRecord {
  fingerprint: string;
  type: InstanceType;
  architecture: string;
  size: number;
  filename: string;
  properties: Record<string, string>;
  public: boolean;
  cached: boolean;
  auto_update: boolean;
  profiles: string[];
  created_at: string;
  uploaded_at: string;
  last_used_at: string;
  expires_at: string;
  update_source: UpdateSource | null;
  /** Set by `img image refresh` on images with a source. */
  update_check?: UpdateCheck;
  files: ImageFile[];
}

export interface Alias {
  name: string;
  description: string;
}

export interface AliasEntry extends Alias {
  target: string;
}

/** An alias as listings show it: with the type of the image it names. */
export interface ListedAlias extends AliasEntry {
  type: InstanceType;
}

/** An image with its aliases, as commands, sources and the API show it. */
export interface ImageView extends ImageRecord {
  aliases: Alias[];
}

/**
 * Where image bytes come from: a file, or a stream (stdin, a download). A source may declare the
 * size and sha256 the bytes must have; reading refuses them, naming the file, when they differ.
 */
export type ImageSource = ({path: string} | {stream: Readable; name: string}) & {
  size?: number;
  sha256?: string;
  /** The bytes were already checked against `sha256` (a download hashes as it writes): it is taken, not computed again. */
  verified?: boolean;
};
