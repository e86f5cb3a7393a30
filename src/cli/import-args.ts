import type {Readable} from 'node:stream';
import {UsageError, UserError} from '../lib/errors.js';
import type {ImageSource} from '../lib/image/types.js';
import type {Remotes} from '../lib/remotes/index.js';
import {isRemoteOnly} from '../lib/remotes/ref.js';
import {FILE_WITH_EQUALS, splitProperties} from './properties.js';

/**
 * `img image import`'s positional arguments as lxc reads them: one or two image files (`-` for
 * stdin, first only), `key=value` properties, and the target remote (`local:`), which must exist.
 */
export function importArgs(
  argv: readonly string[],
  remotes: Remotes,
  stdin: Readable,
): {sources: ImageSource[]; url?: undefined; properties: Record<string, string>} | {url: string; sources?: undefined; properties: Record<string, string>} {
  const {properties, rest} = splitProperties(argv);
  for (const target of rest.filter(isRemoteOnly)) remotes.config(target.slice(0, -1));
  const files = rest.filter((a) => !isRemoteOnly(a));
  if (files.length === 0 || files.length > 2) {
    // A file named x=y.tar reads as a property: say how to give it, since the user meant a file.
    const hint = files.length === 0 && Object.keys(properties).length > 0 ? FILE_WITH_EQUALS : undefined;
    throw new UserError('give one unified image, or a metadata file and a rootfs file', {code: 'Usage', ...(hint ? {hint} : {})});
  }
  const url = files.find((f) => /^[a-z][a-z0-9+.-]*:\/\//i.test(f));
  if (url) {
    if (!/^https?:\/\//i.test(url)) throw new UsageError(`only http:// and https:// URLs can be imported: ${url}`);
    // Direct-URL images are unified (lxd-images.md §6): there is no second file to name.
    if (files.length > 1) throw new UsageError('an image imported from a URL is one unified file: give the URL alone');
    return {url, properties};
  }
  if (files[1] === '-') throw new UsageError('only the first file can be read from stdin');
  return {sources: files.map((f) => (f === '-' ? {stream: stdin, name: '-'} : {path: f})), properties};
}
