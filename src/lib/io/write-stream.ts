import {once} from 'node:events';
import type {Writable} from 'node:stream';

/**
 * Write chunks to a stream someone else owns (stdout, an HTTP response) with back-pressure, and
 * leave it as it was found: one error listener for the whole copy, removed at the end, and each
 * wait for 'drain' cancelled once over (pipeline with {end: false} leaves two listeners behind per
 * call). The stream is not ended. Chunks may come from a reused ring (io/chunks.ts), and a stream
 * may keep what it is given, so each is written as a copy.
 */
export async function writeChunks(chunks: AsyncIterable<Uint8Array>, out: Writable): Promise<void> {
  let failed: unknown;
  const onError = (err: unknown) => {
    failed ??= err;
  };
  out.on('error', onError);
  try {
    for await (const chunk of chunks) {
      if (failed !== undefined) throw failed;
      if (!out.write(Buffer.from(chunk))) await drained(out, () => failed);
    }
    if (failed !== undefined) throw failed;
  } finally {
    out.off('error', onError);
  }
}

/**
 * Wait until `out` takes more. A stream closed meanwhile (a reader gone, or destroyed by an error)
 * ends the wait with `failure()` — the error the caller saw on it — or with "closed", not a hang.
 */
export async function drained(out: Writable, failure: () => unknown = () => undefined): Promise<void> {
  const closed = () => failure() ?? new Error('the output was closed before everything was written');
  if (out.destroyed) throw closed();
  const done = new AbortController();
  try {
    await Promise.race([
      once(out, 'drain', {signal: done.signal}),
      once(out, 'close', {signal: done.signal}).then(() => {
        throw closed();
      }),
    ]);
  } finally {
    done.abort();
  }
}
