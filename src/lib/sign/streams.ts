import {Readable} from 'node:stream';
import type {ReadableStream} from 'node:stream/web';

/**
 * A Node stream as the web stream openpgp reads, remembering the stream's own error: openpgp
 * rewraps whatever a read throws, and a file that cannot be read is not a bad signature.
 */
export function toWebStream(data: Readable): {stream: ReadableStream<Uint8Array>; error(): Error | undefined} {
  let failure: Error | undefined;
  data.once('error', (err) => (failure ??= err));
  return {stream: Readable.toWeb(data) as ReadableStream<Uint8Array>, error: () => failure};
}

/** Read a web stream (or a value already whole) to its end, keeping nothing. */
export async function drain(data: unknown): Promise<void> {
  if (data === null || typeof data !== 'object' || !('getReader' in data)) return;
  const reader = (data as ReadableStream<unknown>).getReader();
  for (;;) if ((await reader.read()).done) return;
}
