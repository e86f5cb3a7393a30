import type {Readable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import * as tar from 'tar-stream';
import {createDecompressor} from './codecs.js';
import type {Compression} from './detect.js';

/**
 * Read a (compressed) tarball to its very end: every compressed block decoded and every tar
 * header parsed, which an import does not do (like LXD, it stops after metadata.yaml and the
 * first rootfs/ entry). Throws what is wrong, prefixed with the codec that found it.
 */
export async function checkTarball(input: Readable, compression: Compression): Promise<void> {
  const extract = tar.extract();
  const drain = (async () => {
    for await (const entry of extract) entry.resume();
  })();
  try {
    // pipeline tears every stage down when one fails, so a bad archive cannot leave a reader waiting.
    await Promise.all([pipeline(input, await createDecompressor(compression), extract as unknown as NodeJS.WritableStream), drain]);
  } catch (err) {
    throw new Error(`${compression === 'none' ? 'tar' : compression}: ${(err as Error).message}`, {cause: err});
  }
}
