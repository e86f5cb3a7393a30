import type {IncomingMessage} from 'node:http';
import {Readable} from 'node:stream';

/** Bytes held for a reader that does not keep up, before the connection is paused. */
const BODY_BUFFER = 1 << 20;

/** The idle timer of a request: armed while the server owes us bytes, stopped while the reader is the slow one. */
export interface IdleClock {
  arm(): void;
  stop(): void;
}

/**
 * The body as a Readable that hands over every byte received before the error that ends it (a
 * download then resumes right after them): a stream destroyed with an error drops what it buffered,
 * so the error waits in a queue behind the data.
 */
export function bodyOf(res: IncomingMessage, clock: IdleClock, failure: (err: unknown) => unknown): {stream: Readable; fail(err: unknown): void} {
  const queue: Buffer[] = [];
  let queued = 0;
  let waiting = false;
  /** The reader's buffer is full: the reader, not the server, is the slow one. */
  let full = false;
  let ended = false;
  let failed: unknown;
  const pump = () => {
    waiting = false;
    full = false;
    for (let chunk = queue.shift(); chunk !== undefined; chunk = queue.shift()) {
      queued -= chunk.length;
      if (!stream.push(chunk)) {
        full = true;
        return;
      }
    }
    if (failed !== undefined) stream.destroy(failed as Error);
    else if (ended) stream.push(null);
    else {
      waiting = true;
      clock.arm();
      res.resume();
    }
  };
  const stream = new Readable({
    highWaterMark: BODY_BUFFER,
    read: pump,
    destroy: (err, cb) => {
      clock.stop();
      queue.length = 0;
      if (!res.complete) res.destroy();
      cb(err);
    },
  });
  // A body nobody reads or listens to when it fails must not crash the process; readers (for await, pipeline) still get the error.
  stream.on('error', () => undefined);
  const fail = (err: unknown) => {
    // Once the whole body is in, a late error of the connection is not the body's.
    if (ended) return;
    failed ??= failure(err);
    clock.stop();
    res.destroy();
    if (waiting) pump();
  };
  res.on('data', (chunk: Buffer) => {
    if (stream.destroyed) return;
    queue.push(chunk);
    queued += chunk.length;
    if (waiting) pump();
    if (queued >= BODY_BUFFER) res.pause();
    // The caller is not reading: its slowness is not the server's, so the idle clock waits until it reads again.
    if (queued >= BODY_BUFFER || full) clock.stop();
    else clock.arm();
  });
  res.on('end', () => {
    ended = true;
    clock.stop();
    if (waiting) pump();
  });
  res.on('error', fail);
  return {stream, fail};
}
