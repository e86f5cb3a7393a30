import {availableParallelism} from 'node:os';
import {PassThrough, type Duplex} from 'node:stream';
import {createGunzip} from 'node:zlib';
import {CHUNK_SIZE} from '../io/chunks.js';
import type {Compression} from './detect.js';
import {BlockCompressor} from './block-compressor.js';
import {parallelBzip2, parallelGzip} from './parallel-codecs.js';
import {ProcessDuplex, run} from './tools.js';

/** The codecs img writes; `lzma` (legacy .tar.lzma) is read but never written. */
export type WriteCompression = Exclude<Compression, 'lzma'>;
export const WRITE_COMPRESSIONS: readonly WriteCompression[] = ['gzip', 'xz', 'bzip2', 'zstd', 'none'];

type LzmaModule = typeof import('lzma-native').default;
let lzmaModule: Promise<LzmaModule> | undefined;
// lzma-native is a native addon: load it only when an xz or lzma file is met.
const loadLzma = (): Promise<LzmaModule> => (lzmaModule ??= import('lzma-native').then((m) => m.default));

let xzCheck: Promise<boolean> | undefined;
/** True when `xz` is installed and is 5.4 or newer (multi-threaded mode with -T0 on any machine). */
function systemXzIsMultiThreaded(): Promise<boolean> {
  xzCheck ??= run('xz', ['--robot', '--version']).then(
    (out) => {
      const v = /XZ_VERSION=(\d+)/.exec(out)?.[1];
      // XZ_VERSION is major*10000000 + minor*10000 + patch*10 + stability.
      return v !== undefined && Number(v) >= 50040000;
    },
    () => false,
  );
  return xzCheck;
}

/** A stream that decompresses `compression`; `none` passes bytes through. */
export async function createDecompressor(compression: Compression): Promise<Duplex> {
  switch (compression) {
    case 'none':
      return new PassThrough({highWaterMark: CHUNK_SIZE});
    case 'gzip':
      return createGunzip({chunkSize: 256 * 1024});
    case 'xz':
    case 'lzma': {
      const lzma = await loadLzma();
      // autoDecoder reads both .xz and legacy .lzma; 256 MiB caps what a hostile header may demand.
      return lzma.createStream('autoDecoder', {memlimit: 256 * 1024 * 1024, synchronous: false}) as unknown as Duplex;
    }
    case 'bzip2':
      // Without -q: -q also silences "Compressed file ends unexpectedly", the reason a user needs.
      return new ProcessDuplex('bzip2', ['-d', '-c'], 'bzip2');
    case 'zstd':
      return new ProcessDuplex('zstd', ['-d', '-c', '-q', '--no-progress'], 'zstd');
  }
}

export interface CompressOptions {
  /** Compression level; each codec's own default when absent. */
  level?: number;
}

const releasesChunks = new WeakSet<Duplex>();

/**
 * True when `stream` is done with a chunk once its write callback runs: a tool's stdin has taken
 * it, or a block compressor has copied it. Not so for a PassThrough (it hands the chunk on) or
 * lzma-native (its worker may still be reading it).
 */
export function releasesChunksAtCallback(stream: Duplex): boolean {
  return releasesChunks.has(stream);
}

/**
 * A stream that compresses with `compression`, deterministically: the same input gives the same
 * bytes on any machine and with any number of cores. gzip and bzip2 compress fixed-size blocks in
 * parallel (parallel-codecs.ts), gzip with no name or time in its header; xz always uses the
 * multi-threaded encoder (its block layout, unlike the single-threaded one, does not depend on the
 * thread count); zstd -T0 likewise produces the same frames whatever the number of workers.
 */
export async function createCompressor(compression: WriteCompression, opts: CompressOptions = {}): Promise<Duplex> {
  const stream = await compressor(compression, opts);
  if (stream instanceof ProcessDuplex || stream instanceof BlockCompressor) releasesChunks.add(stream);
  return stream;
}

async function compressor(compression: WriteCompression, opts: CompressOptions): Promise<Duplex> {
  switch (compression) {
    case 'none':
      return new PassThrough({highWaterMark: CHUNK_SIZE});
    case 'gzip':
      return parallelGzip(opts.level ?? 6);
    case 'xz': {
      const level = opts.level ?? 6;
      // The system's xz (5.4+) encodes the very same bytes as lzma-native's bundled liblzma 5.2.3
      // at twice the speed here (bench/README.md); -T0 stays multi-threaded even on one core,
      // and --no-adjust keeps a memory limit from switching it to the single-threaded layout.
      if (await systemXzIsMultiThreaded()) return new ProcessDuplex('xz', ['-c', '-q', `-${level}`, '-T0', '--no-adjust', '--check=crc64'], 'xz');
      const lzma = await loadLzma();
      return lzma.createStream('easyEncoder', {
        preset: level,
        threads: availableParallelism(),
        check: lzma.CHECK_CRC64,
        synchronous: false,
      }) as unknown as Duplex;
    }
    case 'bzip2':
      return parallelBzip2(opts.level ?? 9);
    case 'zstd':
      return new ProcessDuplex('zstd', ['-c', '-q', '--no-progress', '-T0', `-${opts.level ?? 3}`], 'zstd');
  }
}
