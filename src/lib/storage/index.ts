/**
 * openBlobStore: the one way to get a BlobStore from a location the user gave (a path or a URL),
 * so callers never name a backend. A new backend is one new row in BACKENDS.
 */
import {resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {UserError} from '../errors.js';
import type {BlobStore} from './blob-store.js';
import {LocalDirBlobStore} from './local-dir.js';

export type {BlobData, BlobInfo, BlobStore, ByteRange, PutOptions, PutResult} from './blob-store.js';
export {LocalDirBlobStore} from './local-dir.js';

/**
 * `scheme://…`. Requiring the `//` keeps a relative path with a colon in it (`backup:2024`), and
 * a Windows drive (`C:\`), a path.
 */
const URL_SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

/** The backends, by URL scheme; a location with no scheme is a path, and so a `file:` store. */
const BACKENDS = new Map<string, (location: string) => BlobStore>([
  ['file', (location) => new LocalDirBlobStore(URL_SCHEME.test(location) ? fileUrlPath(location) : resolve(location))],
  [
    's3',
    (location) => {
      throw new UserError(`${withoutUserinfo(location)}: object storage (S3) is not supported yet; it comes with its own issue`, {
        code: 'Usage',
        hint: 'Give a local directory or a file:// URL.',
      });
    },
  ],
]);

export function openBlobStore(location: string): BlobStore {
  if (location === '') throw new UserError('A storage location is empty', {code: 'Usage'});
  const scheme = URL_SCHEME.exec(location)?.[1]?.toLowerCase() ?? 'file';
  const open = BACKENDS.get(scheme);
  if (open === undefined) {
    throw new UserError(`${withoutUserinfo(location)}: unknown storage scheme "${scheme}:"`, {
      code: 'Usage',
      hint: `Give a local directory or a URL with one of: ${[...BACKENDS.keys()].map((s) => `${s}://`).join(', ')}.`,
    });
  }
  return open(location);
}

function fileUrlPath(location: string): string {
  try {
    return fileURLToPath(location);
  } catch (err) {
    // file://otherhost/… names a file on another machine; so does a malformed URL, as far as we can tell.
    throw new UserError(`${location}: not a file:// URL of a local directory`, {code: 'Usage', cause: err});
  }
}

/** A location may carry credentials (`s3://key:secret@bucket`); a message must not. */
function withoutUserinfo(location: string): string {
  return location.replace(/^([^:/]+:\/\/)[^/@]*@/, '$1');
}
