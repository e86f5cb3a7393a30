import {createHash, type Hash} from 'node:crypto';
import {mkdir, open, readFile, rm, stat} from 'node:fs/promises';
import {dirname, resolve} from 'node:path';
import {UserError, hashMismatch, sizeMismatch} from '../errors.js';
import {writeFileAtomic} from '../io/atomic.js';
import {writeAll} from '../io/chunk-writer.js';
import {CHUNK_SIZE} from '../io/chunks.js';
import {hashFile} from '../io/hash-file.js';
import {FileLock, ProcessMutex} from '../store/lock.js';
import {expectOk, request, shownUrl, type HttpResponse} from './client.js';

export interface DownloadFileOptions {
  /** For messages ("<name>: sha256 mismatch: expected X, got Y"). */
  name: string;
  size?: number;
  sha256?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Called with the bytes of each chunk as it is written (resumed bytes are reported once at the start). */
  onProgress?: (bytes: number) => void;
  /** A pinned certificate (PEM) for the server. */
  ca?: string;
}

export interface DownloadedFile {
  path: string;
  size: number;
  sha256: string;
  resumedFrom: number;
}

/** `${partial}.meta.json`: what a later run needs to resume safely. */
interface PartialMeta {
  url: string;
  /** A strong ETag or Last-Modified of the first response, sent back as If-Range. */
  validator: string;
  size?: number;
  sha256?: string;
}

/**
 * GET url into the file `partial`, hashing while it writes, resuming a download that was killed
 * (Range with If-Range, so a file changed on the server is fetched whole again). Two processes
 * downloading the same partial take turns through `${partial}.lock`; the second then finds it
 * complete. The file stays at `partial` for the caller to link into the store (then
 * removePartial). A sha256 mismatch deletes the partial; a network failure keeps it to resume.
 *
 * @example
 * const got = await downloadFile(url, join(home, 'tmp/downloads', `${fp}.rootfs.partial`), {name: 'rootfs', size, sha256});
 */
export async function downloadFile(url: string, partial: string, opts: DownloadFileOptions): Promise<DownloadedFile> {
  await mkdir(dirname(partial), {recursive: true});
  return exclusively(partial, () => download(url, partial, opts));
}

/** Remove a partial file and its lock/meta companions (after a successful import). */
export async function removePartial(partial: string): Promise<void> {
  try {
    await exclusively(partial, async () => {
      await Promise.all([rm(partial, {force: true}), rm(`${partial}.meta.json`, {force: true})]);
      // Unlinked while we hold it: a waiter on this lock sees its file gone and locks the new one (lockFile).
      await rm(`${partial}.lock`, {force: true});
    });
  } catch (err) {
    // No directory to hold the lock: nothing was downloaded there.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}

const turns = new Map<string, {mutex: ProcessMutex; users: number}>();

/**
 * Callers in this process queue before they take the file lock: each open is its own lock owner,
 * and a waiter blocked in the kernel holds one of libuv's few threads.
 */
async function exclusively<T>(partial: string, fn: () => Promise<T>): Promise<T> {
  const key = resolve(partial);
  let turn = turns.get(key);
  if (!turn) turns.set(key, (turn = {mutex: new ProcessMutex(), users: 0}));
  turn.users++;
  try {
    return await turn.mutex.run(async () => {
      const lock = await lockFile(`${partial}.lock`);
      try {
        return await fn();
      } finally {
        await lock.release();
      }
    });
  } finally {
    if (--turn.users === 0) turns.delete(key);
  }
}

/**
 * The lock on `path`, as a file still under that name: removePartial unlinks the lock file, and a
 * process that waited on the old one would otherwise go on beside one that locked a new one.
 */
async function lockFile(path: string): Promise<FileLock> {
  for (;;) {
    const before = await stat(path).catch(() => undefined);
    const lock = await FileLock.acquire(path);
    const after = await stat(path).catch(() => undefined);
    if (before && after && before.ino === after.ino && before.dev === after.dev) return lock;
    await lock.release();
  }
}

async function download(url: string, partial: string, opts: DownloadFileOptions): Promise<DownloadedFile> {
  const metaPath = `${partial}.meta.json`;
  const expected = opts.sha256?.toLowerCase();
  const have = (await stat(partial).catch(() => undefined))?.size ?? 0;
  const meta = await readMeta(metaPath);
  if (have > 0 && have === opts.size && expected !== undefined) {
    const hash = createHash('sha256');
    await hashFile(partial, [hash]);
    const got = hash.digest('hex');
    if (got === expected) {
      opts.onProgress?.(have);
      await rm(metaPath, {force: true});
      return {path: partial, size: have, sha256: got, resumedFrom: have};
    }
  }
  const sameFile = meta !== undefined && meta.url === url && meta.size === opts.size && meta.sha256 === expected;
  let from = have > 0 && (opts.size === undefined || have < opts.size) && sameFile ? have : 0;
  for (;;) {
    const got = await fetchInto(url, partial, opts, from, from > 0 ? meta?.validator : undefined);
    if (got !== 'start-over') return got;
    from = 0;
  }
}

/** One GET from byte `from`: the file, or 'start-over' when a resume was answered oddly (416, a range we did not ask for). */
async function fetchInto(url: string, partial: string, opts: DownloadFileOptions, from: number, validator?: string): Promise<DownloadedFile | 'start-over'> {
  const resumed = createHash('sha256');
  const headers = {...opts.headers};
  if (from > 0 && validator !== undefined) {
    await hashFile(partial, [resumed]);
    headers.range = `bytes=${from}-`;
    headers['if-range'] = validator;
  }
  const res = await request(url, {headers, ...(opts.signal ? {signal: opts.signal} : {}), ...(opts.ca ? {ca: opts.ca} : {})});
  let start = 0;
  if (from > 0 && res.status === 206) {
    const range = contentRange(res.headers['content-range']);
    if (range?.start !== from) return drop(res);
    if (opts.size !== undefined && range.total !== undefined && range.total !== opts.size) {
      res.body.destroy();
      throw sizeMismatch(opts.name, opts.size, range.total);
    }
    start = from;
  } else if (from > 0 && (res.status === 416 || (res.status > 200 && res.status < 300))) {
    return drop(res);
  } else {
    await expectOk(res);
    if (res.status !== 200) {
      res.body.destroy();
      throw new UserError(`${shownUrl(res.url)}: unexpected HTTP ${res.status} ${res.statusText} to a GET`, {code: 'HttpError'});
    }
  }
  const length = res.headers['content-length'] === undefined ? undefined : Number(res.headers['content-length']);
  if (opts.size !== undefined && length !== undefined && start + length !== opts.size) {
    res.body.destroy();
    throw sizeMismatch(opts.name, opts.size, start + length);
  }
  if (start === 0) await saveMeta(`${partial}.meta.json`, url, res, opts);
  else opts.onProgress?.(start);
  const hash = start === 0 ? createHash('sha256') : resumed;
  const size = await writeBody(res, partial, start, hash, opts);
  const got = hash.digest('hex');
  const expected = opts.sha256?.toLowerCase();
  await rm(`${partial}.meta.json`, {force: true});
  if (expected !== undefined && got !== expected) {
    // The bytes are bad: a retry must start over rather than resume from them.
    await rm(partial, {force: true});
    throw hashMismatch(opts.name, expected, got);
  }
  return {path: partial, size, sha256: got, resumedFrom: start};
}

function drop(res: HttpResponse): 'start-over' {
  res.body.destroy();
  return 'start-over';
}

/**
 * Stream the body to `partial` from `start` in CHUNK_SIZE writes, feeding `hash`; the file size at
 * the end. Bytes past the declared size fail at once; a connection lost midway leaves what arrived
 * on disk, so that the next try resumes right after it.
 */
async function writeBody(res: HttpResponse, partial: string, start: number, hash: Hash, opts: DownloadFileOptions): Promise<number> {
  const handle = await open(partial, start === 0 ? 'w' : 'r+');
  const buf = Buffer.allocUnsafe(CHUNK_SIZE);
  let fill = 0;
  let position = start;
  const flush = async () => {
    if (fill === 0) return;
    const chunk = buf.subarray(0, fill);
    hash.update(chunk);
    await writeAll(handle, chunk, position);
    position += fill;
    fill = 0;
    opts.onProgress?.(chunk.length);
  };
  try {
    try {
      for await (const piece of res.body as AsyncIterable<Buffer>) {
        if (opts.size !== undefined && position + fill + piece.length > opts.size)
          throw sizeMismatch(opts.name, opts.size, `at least ${position + fill + piece.length}`);
        for (let offset = 0; offset < piece.length;) {
          const n = piece.copy(buf, fill, offset);
          fill += n;
          offset += n;
          if (fill === CHUNK_SIZE) await flush();
        }
      }
    } catch (err) {
      await flush().catch(() => undefined);
      throw err;
    }
    await flush();
    // Not fsynced, as the store's image data is not (LXD's rule too): a partial damaged by a power
    // cut fails its sha256 on the next try and is fetched again. Measured: 0.3–1.0 s of a 500 MB copy.
  } finally {
    await handle.close();
  }
  if (opts.size !== undefined && position !== opts.size) throw sizeMismatch(opts.name, opts.size, position);
  return position;
}

async function saveMeta(path: string, url: string, res: HttpResponse, opts: DownloadFileOptions): Promise<void> {
  const etag = res.headers.etag;
  // If-Range takes a strong validator only (RFC 9110 13.1.5): a weak ETag cannot say the bytes are the same.
  const validator = etag && !etag.startsWith('W/') ? etag : res.headers['last-modified'];
  if (validator === undefined) return rm(path, {force: true});
  const meta: PartialMeta = {url, validator, size: opts.size, sha256: opts.sha256?.toLowerCase()};
  await writeFileAtomic(path, JSON.stringify(meta));
}

async function readMeta(path: string): Promise<PartialMeta | undefined> {
  try {
    const meta = JSON.parse(await readFile(path, 'utf8')) as PartialMeta;
    return typeof meta === 'object' && meta !== null && typeof meta.url === 'string' && typeof meta.validator === 'string' ? meta : undefined;
  } catch {
    return undefined;
  }
}

function contentRange(header: string | undefined): {start: number; end: number; total?: number} | undefined {
  const m = header === undefined ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header.trim());
  if (!m) return undefined;
  return {start: Number(m[1]), end: Number(m[2]), ...(m[3] === '*' ? {} : {total: Number(m[3])})};
}
