import type {FileHandle} from 'node:fs/promises';
import {Writable} from 'node:stream';
import {CHUNK_SIZE} from './chunks.js';
import {ChunkWriter} from './chunk-writer.js';
import type {Updatable} from './hash-file.js';

/**
 * A Writable that hashes what it is given into every hash in `hashes` and writes it to a file
 * from its start, with a few writes in flight (ChunkWriter), so that the producer goes on while
 * the kernel takes the pages. Chunks written to it are its own until they are on disk, as with
 * any Writable.
 */
export class HashSink extends Writable {
  bytes = 0;
  private readonly writer: ChunkWriter;

  constructor(
    handle: FileHandle,
    private readonly hashes: readonly Updatable[],
    private readonly onBytes?: (n: number) => void,
  ) {
    super({highWaterMark: CHUNK_SIZE});
    this.writer = new ChunkWriter(handle);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    for (const h of this.hashes) h.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(chunk.length);
    this.writer.write(chunk).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.writer.flush().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // The handle is closed by its owner once this settles: no write may still be running then.
    this.writer.settle().then(() => cb(err), cb);
  }
}
