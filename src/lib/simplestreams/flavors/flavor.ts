/**
 * A flavour: one consumer's conventions for writing FeedImages as simplestreams products (LXD's
 * image-downloads, OpenStack's image-downloads + image-ids, MAAS boot resources). Each flavour is
 * one file beside this one; the tree writer and img serve treat them all alike.
 */
import type {FeedFile, FeedImage} from '../feed.js';

/** One products file (products:1.0) and its entry in the index. */
export interface FeedDocument {
  contentId: string;
  datatype: string;
  /** Relative to the tree's root: `streams/v1/<name>.json`. */
  path: string;
  /** The whole products document (content_id, datatype, format, updated, products…). */
  doc: Record<string, unknown>;
}

export interface FlavorContext {
  /** `updated` for the documents, already in simplestreams' form. */
  updated: string;
  /** An item's `path`: a static tree's place for the file, or img serve's `files/<fp>/<name>`. */
  pathOf(image: FeedImage, file: FeedFile): string;
}

export interface Flavor {
  readonly name: string;
  /** One line for --help: what this flavour writes and what it cannot express. */
  readonly summary: string;
  /** Its items carry md5 (the caller computes missing ones before render). */
  readonly needsMd5: boolean;
  /** Why this image cannot be written in this flavour, in words; undefined when it can. */
  refuse(image: FeedImage): string | undefined;
  /** The documents for these images (all of which it did not refuse). */
  documents(images: readonly FeedImage[], ctx: FlavorContext): FeedDocument[];
}
