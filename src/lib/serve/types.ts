/**
 * What img serve's protocol modules share. Each protocol (simplestreams, the LXD REST API,
 * direct-URL import, the web page, later IMGAPI/DSAPI) is one module exporting a Route; server.ts
 * builds one ServeRequest per request and tries the routes in order. Routes see the store only
 * through the Catalog, so a private or disabled image cannot leak from a route that forgot to check.
 */
import type {IncomingMessage, ServerResponse} from 'node:http';
import type {AliasEntry, FileRole, ImageView} from '../image/types.js';
import type {FeedImage} from '../simplestreams/feed.js';

/** The store's public images as one consistent snapshot, rebuilt when the store changes. */
export interface Catalog {
  /** Public (and enabled) images only. */
  readonly images: readonly ImageView[];
  /** The same images as simplestreams FeedImages; each file's tree path is `files/<fingerprint>/<name>`. */
  readonly feed: readonly FeedImage[];
  /** The aliases that name a public image. */
  readonly aliases: readonly AliasEntry[];
  /** A public image by fingerprint or unique prefix; undefined when there is none, it is private, or the prefix is ambiguous. */
  find(fingerprintOrPrefix: string): ImageView | undefined;
  /** Where a public image's file lies on disk. */
  filePath(fingerprint: string, role: FileRole): string;
  /** Changes whenever the catalog does: a weak ETag seed for generated documents. */
  readonly generation: string;
}

export interface FileAnswer {
  size: number;
  /** A strong ETag, quoted (`"<sha256>"`). */
  etag: string;
  contentType?: string;
  /** Sent as Content-Disposition: attachment; filename=… */
  filename?: string;
  headers?: Record<string, string>;
}

export interface ServeRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** The request's path, percent-decoded and already refused when it climbs (`..`) or holds NUL. */
  readonly path: string;
  readonly query: URLSearchParams;
  readonly catalog: Catalog;
  /** `https://host:port` as the client reached the server, for absolute URLs in answers. */
  readonly origin: string;
  /** A JSON answer (HEAD sends the headers only). */
  json(status: number, body: unknown, headers?: Record<string, string>): void;
  /** Bytes already in memory (generated documents), with ETag/If-None-Match and HEAD. */
  text(status: number, body: string | Buffer, contentType: string, headers?: Record<string, string>): void;
  /** A file streamed from disk with HEAD, Range (206/416), ETag and If-None-Match (304). */
  file(path: string, answer: FileAnswer): Promise<void>;
}

/** Answers the request and resolves true, or resolves false when the path is not its own. */
export type Route = (r: ServeRequest) => Promise<boolean>;
