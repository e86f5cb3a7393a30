/**
 * Compression on every core with bytes that do not depend on how many there are: the input is cut
 * into blocks of a fixed size, the blocks are compressed side by side, and their outputs are
 * written in input order. The codec decides what a block is (a raw deflate run primed with the
 * previous block's tail for gzip, a whole bzip2 stream for bzip2); only the block size and the
 * codec shape the output, never the thread count or how the input arrived.
 */
import {availableParallelism} from 'node:os';
import {Duplex} from 'node:stream';

export interface BlockCodec {
  /** Input bytes per block (the last block may be shorter, or empty). */
  readonly blockSize: number;
  /** Bytes before the first block's output. */
  header?(): Buffer;
  /** Sees every block in input order, on the calling thread (a running checksum). */
  observe?(block: Buffer): void;
  /** Compress one block; `previous` is the block before it. The last block is always compressed, even when empty. */
  compress(block: Buffer, previous: Buffer | undefined, last: boolean): Promise<Buffer[]>;
  /** Bytes after the last block's output. */
  trailer?(): Buffer;
}

/** How many blocks are compressed at once by default: one per core this process may run on. */
export function defaultConcurrency(): number {
  return Math.max(1, availableParallelism());
}

export class BlockCompressor extends Duplex {
  private block: Buffer;
  private fill = 0;
  private previous: Buffer | undefined;
  private readonly queue: Array<Promise<Buffer[]>> = [];
  private wantMore: (() => void) | undefined;
  private started = false;

  constructor(
    private readonly codec: BlockCodec,
    private readonly concurrency = defaultConcurrency(),
  ) {
    super({readableHighWaterMark: codec.blockSize, writableHighWaterMark: codec.blockSize});
    this.block = Buffer.allocUnsafe(codec.blockSize);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.absorb(chunk).then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.dispatch(true);
    this.drainTo(0)
      .then(() => {
        const trailer = this.codec.trailer?.();
        if (trailer) this.push(trailer);
        this.push(null);
        cb();
      })
      .catch(cb);
  }

  override _read(): void {
    const more = this.wantMore;
    this.wantMore = undefined;
    more?.();
  }

  private async absorb(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const n = Math.min(chunk.length - offset, this.block.length - this.fill);
      chunk.copy(this.block, this.fill, offset, offset + n);
      this.fill += n;
      offset += n;
      if (this.fill === this.block.length) {
        this.dispatch(false);
        await this.drainTo(this.concurrency - 1);
      }
    }
  }

  private dispatch(last: boolean): void {
    if (!this.started) {
      this.started = true;
      const header = this.codec.header?.();
      if (header) this.push(header);
    }
    const block = this.block.subarray(0, this.fill);
    this.codec.observe?.(block);
    const job = this.codec.compress(block, this.previous, last);
    // Settled in order by drainTo; a failure meanwhile must not count as unhandled.
    job.catch(() => undefined);
    this.queue.push(job);
    this.previous = block;
    this.block = Buffer.allocUnsafe(this.codec.blockSize);
    this.fill = 0;
  }

  /** Hand on finished blocks, oldest first, until at most `max` are in flight. */
  private async drainTo(max: number): Promise<void> {
    while (this.queue.length > max) {
      const out = await this.queue.shift()!;
      let room = true;
      for (const piece of out) room = this.push(piece) && room;
      if (!room && !this.destroyed) await new Promise<void>((resolve) => (this.wantMore = resolve));
    }
  }
}
