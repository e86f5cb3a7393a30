/**
 * `img image import <URL>`: LXD's direct-URL protocol (../shared/spec/lxd-images.md §6) — a HEAD
 * that tells the server which architectures this host runs, answered with the image's hash and
 * where to GET it — or, when the server says nothing of the kind, a plain tarball at that URL.
 */
import {createHash} from 'node:crypto';
import {mkdir} from 'node:fs/promises';
import {basename, join} from 'node:path';
import {UserError} from '../errors.js';
import {headerValue, request} from '../http/client.js';
import {downloadFile, removePartial} from '../http/download.js';
import {hostArchitecture, personalities} from '../image/architectures.js';
import type {ImageView} from '../image/types.js';
import {importImage, type ImportOptions} from '../store/import.js';
import type {Store} from '../store/store.js';
import {warnOrFail} from '../warn.js';

/** The LXD version whose client img speaks as: servers may choose an image by it. */
export const LXD_SERVER_VERSION = '5.0.2';

export function isImageUrl(arg: string): boolean {
  return /^https?:\/\//i.test(arg);
}

export interface UrlImportOptions extends Omit<ImportOptions, 'fingerprint' | 'move' | 'onProgress'> {
  onProgress?: (done: number, total: number | undefined) => void;
}

export async function importFromUrl(store: Store, url: string, opts: UrlImportOptions = {}): Promise<ImageView> {
  const parsed = parseUrl(url);
  if (parsed.protocol === 'http:') warnOrFail(opts, 'PlainHttp', `${url}: plain http, so nothing proves the image came from that server unchanged`);
  const host = hostArchitecture();
  const headers = {'LXD-Server-Architectures': [host, ...personalities(host)].join(', '), 'LXD-Server-Version': LXD_SERVER_VERSION};
  const head = await request(url, {method: 'HEAD', headers, ...(opts.signal ? {signal: opts.signal} : {})});
  head.body.resume();
  const hash = headerValue(head.headers['lxd-image-hash']);
  const imageUrl = headerValue(head.headers['lxd-image-url']);
  let target = url;
  let sha256: string | undefined;
  if (hash !== undefined || imageUrl !== undefined) {
    if (!hash || !/^[0-9a-fA-F]{64}$/.test(hash))
      throw new UserError(`${url}: ${hash ? `LXD-Image-Hash is not a sha256: ${hash}` : 'Missing LXD-Image-Hash header'}`, {code: 'MissingHeader'});
    if (!imageUrl) throw new UserError(`${url}: Missing LXD-Image-URL header`, {code: 'MissingHeader'});
    target = new URL(imageUrl, head.url).toString();
    // The image URL must not lower the protection the user chose (https → http).
    if (parsed.protocol === 'https:' && parseUrl(target).protocol !== 'https:') {
      throw new UserError(`${url}: LXD-Image-URL leaves https for ${target}`, {code: 'RedirectRefused'});
    }
    sha256 = hash.toLowerCase();
  } else if (head.status < 200 || head.status >= 300) {
    throw new UserError(`${url}: HTTP ${head.status} ${head.statusText}`, {code: 'HttpError'});
  }
  await mkdir(store.paths.downloads, {recursive: true});
  const partial = join(store.paths.downloads, `url-${createHash('sha256').update(target).digest('hex').slice(0, 32)}.partial`);
  const {onProgress, ...rest} = opts;
  const got = await downloadFile(target, partial, {
    name: basename(new URL(target).pathname) || target,
    ...(sha256 ? {sha256} : {}),
    ...(opts.signal ? {signal: opts.signal} : {}),
    onProgress: progress(onProgress),
  });
  try {
    // LXD records no filename and no source for a direct-URL image (it can never auto-update); a plain tarball keeps its name.
    return await importImage(store, [{path: got.path}], {
      ...rest,
      ...(sha256 ? {fingerprint: sha256} : {}),
      move: true,
      record: {filename: sha256 ? '' : basename(new URL(target).pathname)},
    });
  } finally {
    await removePartial(got.path);
  }
}

function progress(cb: UrlImportOptions['onProgress']): ((n: number) => void) | undefined {
  let done = 0;
  return cb && ((n) => cb((done += n), undefined));
}

function parseUrl(url: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new UserError(`not a URL: ${url}`, {code: 'InvalidRemoteUrl'});
  }
}
