/**
 * gzip and bzip2 written on every core (block-compressor.ts), deterministically.
 *
 * gzip: one gzip member whose deflate data is a run of raw deflate blocks, each primed with the
 * last 32 KiB of the block before it and ended by a sync flush (the last by a final block), as
 * pigz builds it, so the ratio is what one deflate stream would give. Node's zlib compresses the
 * blocks in libuv's thread pool; pigz itself is not used: its bytes (though the same for any -p,
 * measured) differ from these, and an image's fingerprint must not depend on which tools happen
 * to be installed. On the reference machine this is faster than pigz (bench/README.md).
 *
 * bzip2: the system bzip2 on each 4 MiB piece at once, the streams concatenated (bzip2 -d and
 * every tar read such multi-stream files, as they read pbzip2's). lbzip2 and pbzip2 are left
 * alone for the same reason as pigz.
 */
import {promisify} from 'node:util';
import {constants as zc, crc32, deflateRaw, type ZlibOptions} from 'node:zlib';
import {BlockCompressor, defaultConcurrency, type BlockCodec} from './block-compressor.js';
import {filter} from './tools.js';

const deflateRawAsync = promisify<Buffer, ZlibOptions, Buffer>(deflateRaw);

/** Input per gzip block: large enough that the sync markers cost nothing (5 bytes a MiB). */
export const GZIP_BLOCK = 1 << 20;
/** Room for a block's deflate data, however incompressible. */
const OUTPUT_ROOM = GZIP_BLOCK + (GZIP_BLOCK >> 6) + 1024;
/** deflate's window: what a block may refer back to. */
const WINDOW = 32 << 10;
/** Input per bzip2 process: between four and five of bzip2 -9's 900 kB blocks; few processes, little held in memory. */
export const BZIP2_PIECE = 4 << 20;

/** One block more than cores: the main thread's share (checksum, copying) then never leaves the pool idle. */
export function parallelGzip(level = 6, concurrency = defaultConcurrency() + 1): BlockCompressor {
  let crc = 0;
  let size = 0;
  const codec: BlockCodec = {
    blockSize: GZIP_BLOCK,
    // RFC 1952: no name, no time; XFL as zlib sets it (2: best compression, 4: fastest); OS 3 (Unix).
    header: () => Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level === 9 ? 2 : level < 2 ? 4 : 0, 3]),
    observe: (block) => {
      crc = crc32(block, crc);
      size += block.length;
    },
    compress: async (block, previous, last) => {
      // One output buffer that holds any block's deflate data (its bound is a few bytes per 16 KiB over the
      // input): zlib then makes one pass in the thread pool, not one per 16 KiB of output.
      const opts: ZlibOptions = {level, finishFlush: last ? zc.Z_FINISH : zc.Z_SYNC_FLUSH, chunkSize: OUTPUT_ROOM};
      if (previous) opts.dictionary = previous.subarray(Math.max(0, previous.length - WINDOW));
      return [await deflateRawAsync(block, opts)];
    },
    trailer: () => {
      const t = Buffer.alloc(8);
      t.writeUInt32LE(crc >>> 0, 0);
      t.writeUInt32LE(size % 2 ** 32, 4);
      return t;
    },
  };
  return new BlockCompressor(codec, concurrency);
}

export function parallelBzip2(level = 9, concurrency?: number): BlockCompressor {
  let blocks = 0;
  const codec: BlockCodec = {
    blockSize: BZIP2_PIECE,
    observe: () => {
      blocks++;
    },
    // An empty last piece after full ones adds nothing; alone, it is the empty stream bzip2 writes for no input.
    compress: (piece, _previous, last) => (last && piece.length === 0 && blocks > 1 ? Promise.resolve([]) : filter('bzip2', ['-c', '-q', `-${level}`], piece)),
  };
  return new BlockCompressor(codec, concurrency);
}
