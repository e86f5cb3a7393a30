import type {FileHandle} from 'node:fs/promises';
import {CHUNK_LIFETIME} from './chunks.js';

/** Write all of `chunk` at `position` (a write may be short). */
export async function writeAll(handle: FileHandle, chunk: Uint8Array, position: number | null = null): Promise<void> {
  let offset = 0;
  while (offset < chunk.length) {
    const {bytesWritten} = await handle.write(chunk, offset, chunk.length - offset, position === null ? null : position + offset);
    offset += bytesWritten;
  }
}

/** How many chunk writes may run at once: within what fileChunks keeps valid. */
export const WRITES_IN_FLIGHT = Math.min(3, CHUNK_LIFETIME);

/**
 * Writes chunks to a file at increasing positions with a few writes in flight, so a write that
 * stalls on the kernel's writeback does not stall the hashing that feeds it.
 */
export class ChunkWriter {
  private position = 0;
  private readonly inFlight: Array<Promise<void>> = [];

  constructor(private readonly handle: FileHandle) {}

  /** Queue a chunk; resolves once it may be queued (the oldest write finished if too many run). */
  async write(chunk: Buffer): Promise<void> {
    if (this.inFlight.length >= WRITES_IN_FLIGHT) await this.inFlight.shift();
    const p = writeAll(this.handle, chunk, this.position);
    p.catch(() => undefined);
    this.position += chunk.length;
    this.inFlight.push(p);
  }

  /** Wait for every queued write; then throw the first failure, if any. */
  async flush(): Promise<void> {
    const failed = (await Promise.allSettled(this.inFlight.splice(0))).find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Wait for writes to settle without throwing (on the way out of a failure). */
  async settle(): Promise<void> {
    await Promise.allSettled(this.inFlight.splice(0));
  }
}
