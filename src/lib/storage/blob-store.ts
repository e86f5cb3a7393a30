/**
 * The BlobStore seam: where img keeps simplestreams trees, mirrors and served files (a local
 * directory now, object storage later), its types, and the rules every backend shares so they
 * agree on what a key, a prefix and a byte range mean: keys, prefixes and ranges are checked here,
 * once, rather than by each backend in its own slightly different way.
 */
import {Readable} from 'node:stream';
import {NotFoundError, UserError} from '../errors.js';
import {CHUNK_SIZE, streamChunks} from '../io/chunks.js';

/** What `put` stores. A stream is consumed as it is written, never gathered in memory first. */
export type BlobData = Readable | AsyncIterable<Uint8Array> | Uint8Array | string;

export interface BlobInfo {
  readonly key: string;
  readonly size: number;
  /**
   * Lowercase hex. `put` always returns it (it hashes while it writes); `stat` and `list` may
   * leave it out, as a directory has no stored hash and reading the object to compute one would
   * turn a metadata call into a full read.
   */
  readonly sha256?: string;
  readonly mtime: Date;
}

/** What `put` returns: the hash is known, since it was computed on the bytes written. */
export type PutResult = BlobInfo & {readonly sha256: string};

/** What the data must be; a put whose data differs is refused and the old object is kept. */
export interface PutOptions {
  readonly size?: number;
  /** Hex, either case. */
  readonly sha256?: string;
}

/**
 * Bytes `start` to `end`, both INCLUSIVE, as Node's createReadStream and HTTP's Range header
 * count them, so a backend can pass them on unchanged. An end past the object is clamped.
 */
export interface ByteRange {
  readonly start?: number;
  readonly end?: number;
}

export interface BlobStore {
  /**
   * Store `data` under `key`, atomically: a reader sees the old object or the whole new one. A put
   * that fails (bad data, a declared size or sha256 that does not match, a broken input stream, a
   * killed process) leaves the old object, or no object, under the key.
   */
  put(key: string, data: BlobData, opts?: PutOptions): Promise<PutResult>;
  /** The object's bytes, or the range of them; BlobNotFound when there is no object. */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** undefined when there is no object under the key (a "directory" of other keys is none). */
  stat(key: string): Promise<BlobInfo | undefined>;
  /**
   * Every object whose key starts with `prefix`, a plain string prefix as S3's ListObjectsV2
   * Prefix (`a/b` matches `a/b.json` and `a/b/c`), sorted by the keys' UTF-8 bytes, the order S3
   * lists in. The empty prefix lists everything. Objects being written are not listed.
   *
   * A whole array rather than an async iterable: the callers (simplestreams indexes, mirror
   * diffs) need the complete set before they can act on any of it, a byte-order sort of a
   * directory tree needs every name before the first can be given out, and the trees img keeps
   * hold thousands of objects, not millions. A backend that pages (S3) gathers its pages here.
   */
  list(prefix?: string): Promise<BlobInfo[]>;
  /** Remove the object; a key with no object is not an error (as S3's DeleteObject). */
  delete(key: string): Promise<void>;
  /**
   * Store the local file at `path` under `key`, as put does with its bytes. A backend may take a
   * shortcut a stream does not allow (a directory hard-links the file when it can) and then does
   * not re-hash it: only for files the caller vouches for and that nobody rewrites in place, such
   * as committed store files. Without it, callers put a stream of the file.
   */
  putFile?(key: string, path: string, opts?: PutOptions): Promise<BlobInfo>;
  /** Make the putFile calls so far durable (they may have deferred it); a backend without putFile needs none. */
  flush?(): Promise<void>;
}

/**
 * Segments a backend may use for its temporaries: `.<name>.<12 hex>.tmp`, the shape io/atomic.ts
 * tempNameBeside gives. No key may have one, so a temporary can never be taken for (or replace)
 * an object, and `list` can skip them by name alone.
 */
const TEMP_SEGMENT = /^\..+\.[0-9a-f]{12}\.tmp$/;

export function isTempSegment(segment: string): boolean {
  return TEMP_SEGMENT.test(segment);
}

/** Why `segment` cannot be part of a key, or undefined when it can. */
function segmentProblem(segment: string): string | undefined {
  if (segment === '') return 'it has an empty segment';
  if (segment === '.' || segment === '..') return `it has a "${segment}" segment`;
  if (isTempSegment(segment)) return `"${segment}" is reserved for temporary files`;
  return undefined;
}

/** Problems with the whole string, shared by keys and prefixes. */
function stringProblem(s: string): string | undefined {
  if (s.startsWith('/')) return 'it is absolute';
  if (s.includes('\\')) return 'it has a backslash';
  if (s.includes('\0')) return 'it has a NUL byte';
  return undefined;
}

function invalidKey(what: string, key: unknown, reason: string): UserError {
  return new UserError(`Invalid object ${what} ${JSON.stringify(key)}: ${reason}`, {code: 'InvalidBlobKey'});
}

/**
 * The `/`-separated segments of a valid key; InvalidBlobKey otherwise. A key is relative and has
 * no empty, "." or ".." segment, no backslash (a separator on Windows) and no NUL byte, so that
 * a backend over a filesystem can join it under its root without it meaning anything else.
 */
export function blobKeySegments(key: string): string[] {
  if (typeof key !== 'string') throw invalidKey('key', key, 'it is not a string');
  if (key === '') throw invalidKey('key', key, 'it is empty');
  const reason = stringProblem(key);
  if (reason !== undefined) throw invalidKey('key', key, reason);
  const segments = key.split('/');
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem !== undefined) throw invalidKey('key', key, problem);
  }
  return segments;
}

/** Whether `segment` could be a segment of some key (what `list` shows of a directory). */
export function isKeySegment(segment: string): boolean {
  return segmentProblem(segment) === undefined && stringProblem(segment) === undefined && !segment.includes('/');
}

/**
 * A prefix split into the whole segments before its last `/` (checked as a key's are) and the
 * partial last segment after it, which only filters names: it may be empty (`''`, `a/`) or part
 * of a name, but not "." or "..", which could only be there to climb.
 */
export function blobPrefixParts(prefix: string): {dirs: string[]; partial: string} {
  if (typeof prefix !== 'string') throw invalidKey('prefix', prefix, 'it is not a string');
  const reason = stringProblem(prefix);
  if (reason !== undefined) throw invalidKey('prefix', prefix, reason);
  const segments = prefix.split('/');
  const partial = segments.pop()!;
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem !== undefined) throw invalidKey('prefix', prefix, problem);
  }
  if (partial === '.' || partial === '..') throw invalidKey('prefix', prefix, `it has a "${partial}" segment`);
  return {dirs: segments, partial};
}

/**
 * The inclusive span of `range` in an object of `size` bytes, or undefined when it holds no bytes
 * (an empty object read from 0). InvalidRange for a start at or past the end of the object, an
 * end before the start, or a position that is not a whole number of bytes.
 */
export function byteSpan(key: string, range: ByteRange, size: number): {start: number; end: number} | undefined {
  const start = range.start ?? 0;
  for (const [name, value] of [
    ['start', start],
    ['end', range.end],
  ] as const) {
    if (value !== undefined && !(Number.isSafeInteger(value) && value >= 0)) {
      throw new UserError(`${key}: invalid byte range: ${name} ${String(value)} is not a byte position`, {code: 'InvalidRange'});
    }
  }
  if (range.end !== undefined && range.end < start) {
    throw new UserError(`${key}: invalid byte range: end ${range.end} is before start ${start}`, {code: 'InvalidRange'});
  }
  if (size === 0 && start === 0) return undefined;
  if (start >= size) {
    throw new UserError(`${key}: byte range starts at ${start}, past the end of the object (${size} bytes)`, {code: 'InvalidRange'});
  }
  return {start, end: Math.min(range.end ?? size - 1, size - 1)};
}

/** Sort by the keys' UTF-8 bytes: JavaScript's own order (UTF-16 units) differs past U+FFFF. */
export function sortByKey<T extends {readonly key: string}>(items: T[]): T[] {
  const bytes = new Map(items.map((item) => [item, Buffer.from(item.key, 'utf8')]));
  return items.sort((a, b) => Buffer.compare(bytes.get(a)!, bytes.get(b)!));
}

export function blobNotFound(key: string): NotFoundError {
  return new NotFoundError(`No object under key "${key}"`, 'BlobNotFound');
}

/**
 * The put's data in chunks that stay valid while ChunkWriter writes them: a stream regrouped into
 * large chunks (io/chunks.ts), bytes already in memory sliced without a copy.
 */
export function dataChunks(data: BlobData): AsyncIterable<Uint8Array> {
  if (typeof data === 'string') return slices(Buffer.from(data, 'utf8'));
  if (data instanceof Uint8Array) return slices(data);
  if (typeof (data as Partial<AsyncIterable<unknown>> | null)?.[Symbol.asyncIterator] !== 'function') {
    throw new TypeError('put: data must be a Readable, an async iterable of bytes, bytes or a string');
  }
  return streamChunks(bytesOf(data));
}

async function* slices(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < bytes.length; offset += CHUNK_SIZE) yield bytes.subarray(offset, offset + CHUNK_SIZE);
}

/** A Readable made from strings (Readable.from(['a']), setEncoding) yields strings, not bytes. */
async function* bytesOf(source: AsyncIterable<unknown>): AsyncGenerator<Uint8Array> {
  for await (const piece of source) {
    if (typeof piece === 'string') yield Buffer.from(piece, 'utf8');
    else if (piece instanceof Uint8Array) yield piece;
    else throw new TypeError('put: a data stream must yield bytes or strings');
  }
}

export function emptyStream(): Readable {
  return new Readable({
    read() {
      this.push(null);
    },
  });
}
