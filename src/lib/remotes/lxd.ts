/**
 * A public LXD server as a Source (../shared/spec/lxd-images.md §5): what an untrusted client may
 * see there — the public images, their aliases, their exports — asked for as `lxc image copy`
 * asks (§5.4). A split image comes as one multipart body, read part by part into its partials.
 */
import {mkdir, open, rm} from 'node:fs/promises';
import {dirname} from 'node:path';
import {NotFoundError, UsageError, UserError, sizeMismatch} from '../errors.js';
import {headerValue, HttpStatusError, parseJson, readBody, request, shownUrl, type HttpResponse, type RequestOptions} from '../http/client.js';
import type {ResponseCache} from '../http/cache.js';
import {downloadFile} from '../http/download.js';
import {LXD_EXPORT_PARTS, multipartBoundary, parseMultipart} from '../http/multipart.js';
import type {FileRole, ImageSource, ImageView, ListedAlias} from '../image/types.js';
import {ChunkWriter} from '../io/chunk-writer.js';
import {COPY_CHUNK_SIZE, streamChunks} from '../io/chunks.js';
import {FileLock} from '../store/lock.js';
import {AMBIGUOUS_PREFIX, errorMessage, exportFilename, parseAlias, parseImage, syncMetadata} from './lxd-api.js';
import type {DownloadOptions, DownloadTarget, ResolveWant, Source, SourceFile} from './source.js';

export interface LxdRemote {
  name: string;
  url: string;
  /** The server's certificate (PEM), pinned: the only one trusted for this remote, as lxc pins a remote's certificate. */
  certificate?: string;
}

export interface LxdContext {
  cache: ResponseCache;
  /** Taken for the factory's sake: an LXD alias names one image, so there is no architecture to choose. */
  hostArchitecture?: string;
}

/** A listing of a few thousand images is a few MB; an error answer is a line. */
const MAX_LIST_BYTES = 64 << 20;
const MAX_OBJECT_BYTES = 4 << 20;
const MAX_ERROR_BYTES = 64 << 10;

type Answer = {ok: true; url: string; metadata: unknown} | {ok: false; url: string; status: number; message: string};

export class LxdSource implements Source {
  readonly protocol = 'lxd';
  readonly remote: string;
  /** The remote URL without a trailing slash, as LXD records it in update_source.server. */
  readonly server: string;
  /** The pinned certificate, or '' (update_source.certificate). */
  readonly certificate: string;
  private readonly tls: {ca?: string};

  constructor(
    remote: LxdRemote,
    private readonly ctx: LxdContext,
  ) {
    this.remote = remote.name;
    if (!remote.url) throw new UserError(`The remote "${remote.name}" has no URL`, {code: 'InvalidRemoteUrl'});
    this.server = remote.url.replace(/\/+$/, '');
    this.certificate = remote.certificate ?? '';
    this.tls = remote.certificate ? {ca: remote.certificate} : {};
  }

  /** `GET /1.0/images?recursion=1`: an untrusted client is shown the public images only. */
  async list(): Promise<ImageView[]> {
    const url = this.url('/1.0/images?recursion=1');
    const {text} = await this.ctx.cache.get(url, {maxBytes: MAX_LIST_BYTES, headers: {accept: 'application/json'}, ...this.tls});
    const images = syncMetadata(parseJson(text, url), url);
    if (!Array.isArray(images)) throw new UserError(`${url}: not an LXD API answer of the expected shape: the image list is not a list`, {code: 'InvalidFeed'});
    return images.map((i) => parseImage(i, url));
  }

  /** From the images' own alias lists: LXD refuses `/1.0/images/aliases` to an untrusted client (403). */
  async aliases(): Promise<ListedAlias[]> {
    const all = (await this.list()).flatMap((i) => i.aliases.map((a) => ({...a, target: i.fingerprint, type: i.type})));
    return all.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** As `lxc image copy` resolves (§5.4): an alias of the wanted type, else a fingerprint or prefix, which the server expands. */
  async resolve(name: string, want: ResolveWant = {}): Promise<ImageView> {
    if (name === '') throw new NotFoundError(`${this.remote}: Image not found`);
    const alias = await this.call(`/1.0/images/aliases/${encodeURIComponent(name)}`, MAX_OBJECT_BYTES);
    let image: ImageView;
    const target = alias.ok ? parseAlias(alias.metadata, alias.url) : undefined;
    if (!alias.ok && alias.status !== 404) throw this.failure(alias, name);
    if (target && (want.type === undefined || target.type === want.type)) image = await this.info(target.target);
    else image = await this.image(name);
    for (const key of ['architecture', 'type'] as const) {
      const wanted = want[key];
      if (wanted !== undefined && image[key] !== wanted) throw new NotFoundError(`Image "${name}" not found for ${key} ${wanted} (it is ${image[key]})`);
    }
    return image;
  }

  info(fingerprint: string): Promise<ImageView> {
    return this.image(fingerprint);
  }

  /** A unified image's one file, as the export streams it; a split image comes as one multipart body, which download() reads. */
  async open(image: ImageView, role: FileRole, opts: {signal?: AbortSignal} = {}): Promise<SourceFile> {
    if (role !== 'unified') throw this.splitOnly(image);
    const res = await this.export(image, opts.signal);
    if (multipartBoundary(headerValue(res.headers['content-type']), shownUrl(res.url)) !== undefined) {
      res.body.destroy();
      throw this.splitOnly(image);
    }
    return {stream: res.body, name: filenameOf(res), size: image.size, sha256: image.fingerprint};
  }

  /**
   * `GET /1.0/images/<fp>/export`, asked first for one byte: a unified image answers with a range
   * (then its file is fetched, or resumed, by downloadFile), a split one with the whole multipart
   * body (LXD ignores Range there), read on the spot — HEAD is no probe: LXD answers it 403.
   */
  async download(image: ImageView, target: DownloadTarget, opts: DownloadOptions = {}): Promise<ImageSource[]> {
    const res = await this.export(image, opts.signal, {range: 'bytes=0-0'});
    const what = shownUrl(res.url);
    const boundary = multipartBoundary(headerValue(res.headers['content-type']), what);
    if (boundary !== undefined) return this.readParts(res, boundary, image, target, opts);
    const name = filenameOf(res);
    // The one byte is read out so that the connection serves the download; a server that ignored the range is cut off.
    if (res.status === 206) res.body.resume();
    else res.body.destroy();
    let done = 0;
    const got = await downloadFile(res.url, target.partial('unified'), {
      name,
      size: image.size,
      sha256: image.fingerprint,
      ...(opts.signal ? {signal: opts.signal} : {}),
      onProgress: (n) => opts.onProgress?.((done += n), image.size),
      ...this.tls,
    });
    return [{path: got.path, size: got.size, sha256: got.sha256}];
  }

  /**
   * The two parts into the metadata and rootfs partials, written fresh (a multipart body cannot
   * be resumed) in large chunks as they arrive; together they must be the image's size. The
   * partials are locked as downloadFile locks its own, so two copies of one image take turns.
   */
  private async readParts(res: HttpResponse, boundary: string, image: ImageView, target: DownloadTarget, opts: DownloadOptions): Promise<ImageSource[]> {
    const what = shownUrl(res.url);
    const paths = [target.partial('metadata'), target.partial('rootfs')];
    await Promise.all(paths.map((p) => mkdir(dirname(p), {recursive: true})));
    const locks = [await FileLock.acquire(`${paths[0]}.lock`), await FileLock.acquire(`${paths[1]}.lock`)];
    const sizes: number[] = [];
    let done = 0;
    try {
      for await (const part of parseMultipart(res.body, {boundary, names: LXD_EXPORT_PARTS, what})) {
        const handle = await open(paths[part.index]!, 'w');
        const writer = new ChunkWriter(handle);
        let size = 0;
        try {
          // Each piece is copied once, into the ring, then written: the copy size of io/chunks.ts (1.2 GB: 6.8 s against 8.2 s at 1 MiB).
          for await (const chunk of streamChunks(part.body, {chunkSize: COPY_CHUNK_SIZE})) {
            if (done + chunk.length > image.size) throw sizeMismatch(what, image.size, `at least ${done + chunk.length}`);
            await writer.write(chunk);
            size += chunk.length;
            done += chunk.length;
            opts.onProgress?.(done, image.size);
          }
          await writer.flush();
        } finally {
          await writer.settle();
          await handle.close();
        }
        sizes.push(size);
      }
      if (done !== image.size) throw sizeMismatch(what, image.size, done);
    } catch (err) {
      // Nothing of a failed multipart body is worth keeping: the next try starts over anyway.
      await Promise.all(paths.map((p) => rm(p, {force: true})));
      throw err;
    } finally {
      res.body.destroy();
      await Promise.all(locks.map((l) => l.release()));
    }
    return paths.map((path, i) => ({path, size: sizes[i]!}));
  }

  private async image(ref: string): Promise<ImageView> {
    const answer = await this.call(`/1.0/images/${encodeURIComponent(ref)}`, MAX_OBJECT_BYTES);
    if (!answer.ok) throw this.failure(answer, ref);
    const image = parseImage(answer.metadata, answer.url);
    if (/^[0-9a-f]+$/i.test(ref) && !image.fingerprint.startsWith(ref.toLowerCase())) {
      throw new UserError(`${answer.url}: the server answered with image ${image.fingerprint}`, {code: 'InvalidFeed'});
    }
    return image;
  }

  private async export(image: ImageView, signal: AbortSignal | undefined, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const res = await request(this.url(`/1.0/images/${image.fingerprint}/export`), this.options(signal, headers));
    if (res.status >= 200 && res.status < 300) return res;
    throw this.failure(await this.errorOf(res), image.fingerprint);
  }

  /** One API GET: its sync metadata, or what the server's error answer says. */
  private async call(path: string, maxBytes: number, signal?: AbortSignal): Promise<Answer> {
    const res = await request(this.url(path), this.options(signal, {accept: 'application/json'}));
    if (res.status < 200 || res.status >= 300) return this.errorOf(res);
    const text = (await readBody(res, {maxBytes, what: shownUrl(res.url)})).toString('utf8');
    return {ok: true, url: shownUrl(res.url), metadata: syncMetadata(parseJson(text, shownUrl(res.url)), shownUrl(res.url))};
  }

  private async errorOf(res: HttpResponse): Promise<Answer & {ok: false}> {
    // An error page too long for an LXD error answer is not one: the status alone is reported.
    const text = await readBody(res, {maxBytes: MAX_ERROR_BYTES, what: shownUrl(res.url)}).then(
      (b) => b.toString('utf8'),
      () => '',
    );
    const message = errorMessage(text) ?? `HTTP ${res.status} ${res.statusText}`.trimEnd();
    return {ok: false, url: shownUrl(res.url), status: res.status, message};
  }

  /** LXD's words, with the name asked for: 404 is not found, LXD 5.0.2's 500 for a prefix of several images is an ambiguous prefix. */
  private failure(answer: Answer & {ok: false}, name: string): UserError {
    if (answer.status === 404) return new NotFoundError(`${this.remote}:${name}: ${answer.message}`);
    if (answer.message === AMBIGUOUS_PREFIX) return new UserError(`${this.remote}:${name}: ${answer.message}`, {code: 'AmbiguousPrefix'});
    return new HttpStatusError(answer.status, answer.url, `${answer.url}: HTTP ${answer.status}: ${answer.message}`);
  }

  private splitOnly(image: ImageView): UsageError {
    return new UsageError(
      `${this.remote}:${image.fingerprint}: an LXD server sends a split image's files together as one multipart body: download the image instead`,
    );
  }

  private options(signal: AbortSignal | undefined, headers: Record<string, string>): RequestOptions {
    return {headers, ...(signal ? {signal} : {}), ...this.tls};
  }

  private url(path: string): string {
    return `${this.server}${path}`;
  }
}

function filenameOf(res: HttpResponse): string {
  try {
    return exportFilename(headerValue(res.headers['content-disposition']), shownUrl(res.url));
  } catch (err) {
    res.body.destroy();
    throw err;
  }
}
