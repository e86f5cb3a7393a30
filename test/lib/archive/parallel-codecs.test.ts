// src/lib/archive/parallel-codecs.ts and block-compressor.ts: gzip and bzip2 on several cores give
// the same bytes whatever the concurrency and however the input arrives, and every reader — the
// system tools, GNU tar, img's own decompressor — reads them back whole.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {describe, test} from 'node:test';
import {createDecompressor} from '../../../src/lib/archive/codecs.js';
import {BZIP2_PIECE, GZIP_BLOCK, parallelBzip2, parallelGzip} from '../../../src/lib/archive/parallel-codecs.js';
import {UserError} from '../../../src/lib/errors.js';
import {through} from '../../helpers/streams.js';
import {lcg} from '../../helpers/bytes.js';

/** Text-like bytes that compress about as a root filesystem does. */
function textLike(size: number, seed = 7): Buffer {
  const next = lcg(seed);
  const b = Buffer.alloc(size);
  for (let i = 0; i < b.length; i++) b[i] = 0x61 + ((next() >>> 27) % 12);
  return b;
}

const run = (argv: string[], input: Buffer): Buffer => execFileSync(argv[0]!, argv.slice(1), {input, maxBuffer: 256 << 20});

const CODECS = [
  {name: 'gzip', make: (c?: number) => parallelGzip(6, c), block: GZIP_BLOCK, decompress: ['gzip', '-dc']},
  {name: 'bzip2', make: (c?: number) => parallelBzip2(9, c), block: BZIP2_PIECE, decompress: ['bzip2', '-dc']},
] as const;

for (const codec of CODECS) {
  describe(`parallel ${codec.name}`, () => {
    // Two and a half blocks: several compressed side by side, and a short last one.
    const data = textLike(Math.floor(codec.block * 2.5));

    test('the same bytes with 1, 2 and 5 blocks at once, and whatever the size of the pieces written', async () => {
      const one = await through(codec.make(1), data);
      assert.ok((await through(codec.make(2), data, 1 << 20)).equals(one), 'concurrency 2');
      assert.ok((await through(codec.make(5), data, 4093)).equals(one), 'concurrency 5, odd pieces');
      assert.ok(one.length < data.length / 2, 'it compresses');
    });

    test('the system tool and img decompress it to the input', async () => {
      const packed = await through(codec.make(), data);
      assert.ok(run([...codec.decompress], packed).equals(data));
      assert.ok((await through(await createDecompressor(codec.name), packed)).equals(data));
    });

    test('empty input, and input of exactly whole blocks', async () => {
      assert.equal(run([...codec.decompress], await through(codec.make(), Buffer.alloc(0))).length, 0);
      const whole = textLike(codec.block * 2, 3);
      assert.ok(run([...codec.decompress], await through(codec.make(), whole)).equals(whole));
    });
  });
}

describe('parallel gzip: the stream itself', () => {
  const data = textLike(GZIP_BLOCK * 3 + 999);

  test('one gzip member with no name and no time, a checksum and size gzip -t and -l accept', async () => {
    const packed = await through(parallelGzip(), data);
    assert.deepEqual([...packed.subarray(0, 10)], [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]);
    execFileSync('gzip', ['-t'], {input: packed});
    const [compressed, uncompressed] = execFileSync('gzip', ['-l'], {input: packed, encoding: 'utf8'}).split('\n')[1]!.trim().split(/\s+/);
    assert.deepEqual([Number(compressed), Number(uncompressed)], [packed.length, data.length]);
    // A second member would follow the first one's 8-byte trailer: the stream ends there.
    assert.equal(packed.readUInt32LE(packed.length - 4), data.length);
  });

  test('as small as one deflate stream of the whole input, within 1%', async () => {
    const packed = await through(parallelGzip(), data);
    const single = run(['node', '-e', 'process.stdout.write(require("zlib").gzipSync(require("fs").readFileSync(0)))'], data);
    assert.ok(packed.length <= single.length * 1.01, `${packed.length} against ${single.length}`);
  });

  test('levels are passed on: -1 and -9 differ, and XFL says which', async () => {
    const fast = await through(parallelGzip(1), data);
    const best = await through(parallelGzip(9), data);
    assert.equal(fast[8], 4);
    assert.equal(best[8], 2);
    assert.ok(!fast.equals(best));
    assert.ok(run(['gzip', '-dc'], best).equals(data));
  });
});

describe('parallel bzip2: failures', () => {
  test('bzip2 not on PATH: ToolMissing naming the package', async () => {
    const path = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      await assert.rejects(through(parallelBzip2(), textLike(1000)), (err: unknown) => {
        assert.ok(err instanceof UserError);
        assert.equal(err.code, 'ToolMissing');
        assert.match(err.message, /^bzip2 is not installed \(apt-get install bzip2\)$/);
        return true;
      });
    } finally {
      process.env.PATH = path;
    }
  });
});
