import {createHash} from 'node:crypto';
import {mkdir, readFile} from 'node:fs/promises';
import {join} from 'node:path';
import {isUserError} from '../errors.js';
import {writeFileAtomic} from '../io/atomic.js';
import {warnOrFail, type Warning} from '../warn.js';
import {HttpStatusError, expectOk, readBody, request, shownUrl} from './client.js';

export interface CachedText {
  text: string;
  from: 'cache' | 'revalidated' | 'network' | 'stale';
}

/** What `<hash>.json` holds beside `<hash>.body`. */
interface Meta {
  url: string;
  etag?: string;
  lastModified?: string;
  storedAt: number;
  /** The sha256 of the body this meta goes with: a pair torn by two writers does not match, and counts as absent. */
  bodySha256: string;
}

interface Stored {
  meta: Meta;
  body: Buffer;
}

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/**
 * A client-side cache of remote indexes (simplestreams index and products files, LXD's image
 * lists), so that a second listing within minutes costs nothing or a revalidation. Several img
 * processes may share the directory: every file is replaced by an atomic rename, so no lock.
 */
export class ResponseCache {
  private readonly ttlMs: number;
  private readonly now: () => number;
  private readonly onWarning: ((w: Warning) => void) | undefined;
  private readonly useStale: boolean;

  /**
   * dir: e.g. $IMG_HOME/cache/http ; ttlMs: how long a stored answer is used without asking the
   * server; useStale (default true): whether a stored copy stands in for a server that cannot be
   * reached — a listing may show yesterday's images, a refresh must not report "up to date" from them.
   */
  constructor(
    private readonly dir: string,
    opts: {ttlMs: number; now?: () => number; onWarning?: (w: Warning) => void; useStale?: boolean},
  ) {
    this.useStale = opts.useStale ?? true;
    this.ttlMs = opts.ttlMs;
    this.now = opts.now ?? Date.now;
    this.onWarning = opts.onWarning;
  }

  /**
   * GET url as text through the cache. Within ttl (or opts.maxAgeMs when given; 0 = always ask): stored copy, no request ('cache').
   * Else a conditional GET with If-None-Match / If-Modified-Since from the stored validators: 304 → stored copy, its age reset ('revalidated'); 200 → stored anew ('network').
   * When the server cannot be reached (RemoteUnreachable) or answers 5xx and a stored copy exists: return it ('stale') and warn StaleIndex naming the url and the error. Otherwise throw.
   * Non-2xx (other than 304) → HttpError, nothing stored. Body size limited by maxBytes (ResponseTooLarge).
   *
   * @example
   * const {text, from} = await cache.get('https://images.example.org/streams/v1/index.json', {maxBytes: 8 << 20});
   */
  async get(
    url: string,
    opts: {maxBytes: number; headers?: Record<string, string>; signal?: AbortSignal; maxAgeMs?: number; ca?: string},
  ): Promise<CachedText> {
    const key = sha256(url);
    const stored = await this.read(key, url, opts.maxBytes);
    const maxAge = opts.maxAgeMs ?? this.ttlMs;
    if (stored) {
      const age = this.now() - stored.meta.storedAt;
      // A copy stored "in the future" (the clock went back) has no age we can trust: ask.
      if (age >= 0 && age < maxAge) return {text: stored.body.toString('utf8'), from: 'cache'};
    }
    const headers: Record<string, string> = {...opts.headers};
    if (stored?.meta.etag) headers['if-none-match'] = stored.meta.etag;
    if (stored?.meta.lastModified) headers['if-modified-since'] = stored.meta.lastModified;
    try {
      const res = await request(url, {headers, ...(opts.signal ? {signal: opts.signal} : {}), ...(opts.ca ? {ca: opts.ca} : {})});
      if (res.status === 304 && stored) {
        res.body.resume();
        const meta: Meta = {...stored.meta, storedAt: this.now(), ...validators(res.headers)};
        await this.write(key, meta);
        return {text: stored.body.toString('utf8'), from: 'revalidated'};
      }
      await expectOk(res);
      const body = await readBody(res, {maxBytes: opts.maxBytes, what: shownUrl(url)});
      const meta: Meta = {url, storedAt: this.now(), bodySha256: sha256(body), ...validators(res.headers)};
      await this.write(key, meta, body);
      return {text: body.toString('utf8'), from: 'network'};
    } catch (err) {
      const unreachable = isUserError(err) && (err.code === 'RemoteUnreachable' || (err instanceof HttpStatusError && err.status >= 500));
      if (!stored || !unreachable || !this.useStale) throw err;
      const age = Math.round((this.now() - stored.meta.storedAt) / 1000);
      warnOrFail({onWarning: this.onWarning}, 'StaleIndex', `${shownUrl(url)}: using the copy cached ${age} s ago: ${err.message}`, {
        url,
        error: err.message,
        storedAt: stored.meta.storedAt,
      });
      return {text: stored.body.toString('utf8'), from: 'stale'};
    }
  }

  /** The stored pair for `key`, or undefined when absent, torn, for another URL (a hash collision) or over `maxBytes`. */
  private async read(key: string, url: string, maxBytes: number): Promise<Stored | undefined> {
    let meta: Meta;
    let body: Buffer;
    try {
      meta = JSON.parse(await readFile(join(this.dir, `${key}.json`), 'utf8')) as Meta;
      body = await readFile(join(this.dir, `${key}.body`));
    } catch {
      // Missing or unreadable: the cache only saves a download, so it is as good as empty.
      return undefined;
    }
    if (typeof meta !== 'object' || meta === null || meta.url !== url || typeof meta.storedAt !== 'number') return undefined;
    if (body.length > maxBytes || meta.bodySha256 !== sha256(body)) return undefined;
    return {meta, body};
  }

  /** Body first, meta second: a reader that finds the new meta finds the body it names. */
  private async write(key: string, meta: Meta, body?: Buffer): Promise<void> {
    try {
      await mkdir(this.dir, {recursive: true});
      if (body) await writeFileAtomic(join(this.dir, `${key}.body`), body);
      await writeFileAtomic(join(this.dir, `${key}.json`), JSON.stringify(meta));
    } catch {
      // A cache that cannot be written (read-only home, full disk) costs a download next time, not this answer.
    }
  }
}

function validators(headers: import('node:http').IncomingHttpHeaders): {etag?: string; lastModified?: string} {
  const v: {etag?: string; lastModified?: string} = {};
  if (headers.etag) v.etag = headers.etag;
  if (headers['last-modified']) v.lastModified = headers['last-modified'];
  return v;
}
