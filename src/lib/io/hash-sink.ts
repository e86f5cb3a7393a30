import type {FileHandle} from 'node:fs/promises';
import {Writable} from 'node:stream';
import {CHUNK_SIZE} from './chunks.js';
import {writeAll} from './chunk-writer.js';
import type {Updatable} from './hash-file.js';

/** A Writable that hashes what it is given into every hash in `hashes` and writes it to a file. */
export class HashSink extends Writable {
  bytes = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly hashes: readonly Updatable[],
    private readonly onBytes?: (n: number) => void,
  ) {
    super({highWaterMark: CHUNK_SIZE});
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    for (const h of this.hashes) h.update(chunk);
    this.bytes += chunk.length;
    this.onBytes?.(chunk.length);
    writeAll(this.handle, chunk).then(() => cb(), cb);
  }
}
