/**
 * The shapes a simplestreams feed is read into (products.ts) and resolved over (aliases.ts): LXD
 * 5.0.2's view of a remote's images and aliases, kept apart so that neither module imports the other.
 */
import type {FileRole, InstanceType} from '../image/types.js';

/** One file of a stream image: `path` is relative to the remote's base URL, checked safe to join. */
export interface StreamFile {
  role: FileRole;
  ftype: string;
  path: string;
  size: number;
  sha256: string;
}

/** An image as LXD 5.0.2 sees it in a feed (its api.Image fields), plus what a download needs. */
export interface StreamImage {
  fingerprint: string;
  type: InstanceType;
  /** Canonical LXD name (x86_64); the feed's own spelling stays in properties.architecture. */
  architecture: string;
  size: number;
  filename: string;
  public: true;
  created_at: string;
  uploaded_at: string;
  expires_at: string;
  properties: Record<string, string>;
  /** metadata then rootfs for a split image; one unified file otherwise. */
  files: StreamFile[];
  /** Where it came from in the feed, and the product's alias names (comma-split, as written). */
  product: string;
  version: string;
  productAliases: string[];
}

export interface Skipped {
  product?: string;
  version?: string;
  item?: string;
  reason: string;
}

export interface StreamSet {
  images: StreamImage[];
  aliases: StreamAlias[];
  skipped: Skipped[];
}

/** One alias LXD registers for a feed: unique by (name, type, architecture); the first registration won. */
export interface StreamAlias {
  name: string;
  type: InstanceType;
  /** Canonical architecture of the image it names. */
  architecture: string;
  fingerprint: string;
  /** A short alias (no "/<arch>" added) is listed on an image only when its architecture is the host's. */
  short: boolean;
}
