/**
 * A file's bytes onto a socket with memory that does not grow with the number of clients. Each
 * download keeps at most two buffers: one being written, one being read ahead. Buffers come back
 * to a shared pool once the socket has taken them (the write callback), so a steady stream of
 * downloads allocates nothing; and their size shrinks as downloads multiply, so that all the
 * buffers in flight stay within BUDGET: 1 MiB reads for a few clients (fewer, larger reads and
 * writes are what make throughput), 64 KiB for hundreds.
 */
import type {FileHandle} from 'node:fs/promises';
import type {ServerResponse} from 'node:http';

const BUDGET = 32 << 20;
const MIN_CHUNK = 64 << 10;
const MAX_CHUNK = 1 << 20;
/** Idle buffers kept for reuse, in bytes. */
const POOL_LIMIT = 32 << 20;

let active = 0;
const pool = new Map<number, Buffer[]>();
let pooled = 0;

/** Downloads sending right now. */
export const activeDownloads = (): number => active;

function chunkSize(): number {
  let size = MAX_CHUNK;
  while (size > MIN_CHUNK && size * 2 * active > BUDGET) size >>= 1;
  return size;
}

function take(size: number): Buffer {
  const free = pool.get(size);
  const buf = free?.pop();
  if (buf) {
    pooled -= size;
    return buf;
  }
  return Buffer.allocUnsafeSlow(size);
}

function give(buf: Buffer): void {
  if (pooled + buf.length > POOL_LIMIT) return;
  const free = pool.get(buf.length) ?? [];
  pool.set(buf.length, free);
  free.push(buf);
  pooled += buf.length;
}

interface Chunk {
  buf: Buffer;
  bytes: number;
}

/** Send `length` bytes of `handle` from `start`, then end the response; a file that shrank meanwhile cuts the connection. */
export async function sendBytes(handle: FileHandle, start: number, length: number, res: ServerResponse): Promise<void> {
  active++;
  let position = start;
  let left = length;
  const readNext = async (): Promise<Chunk | undefined> => {
    if (left <= 0) return undefined;
    const want = chunkSize();
    const buf = take(want);
    const n = Math.min(want, left);
    const {bytesRead} = await handle.read(buf, 0, n, position);
    position += bytesRead;
    left -= bytesRead;
    if (bytesRead === 0) {
      give(buf);
      throw new Error('the file is shorter than its record says');
    }
    return {buf, bytes: bytesRead};
  };
  let next: Promise<Chunk | undefined> | undefined;
  try {
    next = readNext();
    for (;;) {
      const chunk = await next;
      next = undefined;
      if (!chunk) break;
      if (res.destroyed) {
        give(chunk.buf);
        return;
      }
      next = readNext();
      // Errors are the socket's; the pending read below must not become an unhandled rejection meanwhile.
      next.catch(() => undefined);
      const ok = res.write(chunk.bytes === chunk.buf.length ? chunk.buf : chunk.buf.subarray(0, chunk.bytes), (err) => {
        // A buffer whose write failed may still be referenced by the dead socket: left to the GC.
        if (!err) give(chunk.buf);
      });
      if (!ok) await drainOrClose(res);
    }
    res.end();
  } catch (err) {
    res.destroy();
    throw err;
  } finally {
    if (next) await next.then((c) => c && give(c.buf)).catch(() => undefined);
    active--;
  }
}

function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
