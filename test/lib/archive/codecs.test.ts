// src/lib/archive/codecs.ts: every codec against the system tools in both directions,
// deterministic output, and corrupt input that must end in an error rather than a hang.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {describe, test} from 'node:test';
import {createCompressor, createDecompressor, WRITE_COMPRESSIONS, type WriteCompression} from '../../../src/lib/archive/codecs.js';
import type {Compression} from '../../../src/lib/archive/detect.js';
import {UserError} from '../../../src/lib/errors.js';
import {through} from '../../helpers/streams.js';

/** Compressible but not trivial: just over 1 MiB of text-like bytes (crossing a chunk boundary). */
const DATA = (() => {
  const b = Buffer.alloc(1024 * 1024 + 12345);
  let x = 7;
  for (let i = 0; i < b.length; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = 0x61 + ((x >>> 27) % 8);
  }
  return b;
})();

const SYSTEM: Record<Compression, {compress: string[]; decompress: string[]} | null> = {
  gzip: {compress: ['gzip', '-c', '-n'], decompress: ['gzip', '-dc']},
  xz: {compress: ['xz', '-c', '-T1'], decompress: ['xz', '-dc']},
  lzma: {compress: ['xz', '-c', '--format=lzma'], decompress: ['xz', '-dc', '--format=lzma']},
  bzip2: {compress: ['bzip2', '-c'], decompress: ['bzip2', '-dc']},
  zstd: {compress: ['zstd', '-c', '-q'], decompress: ['zstd', '-dcq']},
  none: null,
};

const run = (argv: string[], input: Buffer): Buffer => execFileSync(argv[0]!, argv.slice(1), {input, maxBuffer: 256 << 20});

describe('createCompressor: output the system tools read back', () => {
  for (const c of WRITE_COMPRESSIONS) {
    test(c, async () => {
      const packed = await through(await createCompressor(c), DATA);
      if (c === 'none') {
        assert.ok(packed.equals(DATA));
        return;
      }
      assert.ok(packed.length < DATA.length, `${c} compresses`);
      assert.ok(run(SYSTEM[c]!.decompress, packed).equals(DATA), `${c}: system tool reads back the input`);
    });
  }

  for (const c of WRITE_COMPRESSIONS) {
    test(`${c}: the same input gives the same bytes, whatever the piece size`, async () => {
      const a = await through(await createCompressor(c), DATA, 65536);
      const b = await through(await createCompressor(c), DATA, 1 << 20);
      const d = await through(await createCompressor(c), DATA, 4093);
      assert.ok(a.equals(b) && a.equals(d), `${c} output is deterministic`);
    });
  }

  test('gzip writes no file name and no time in its header', async () => {
    const gz = await through(await createCompressor('gzip'), Buffer.from('hello'));
    assert.deepEqual([...gz.subarray(0, 3)], [0x1f, 0x8b, 0x08]);
    assert.equal(gz[3]! & 0x08, 0, 'FNAME not set');
    assert.equal(gz.readUInt32LE(4), 0, 'MTIME is 0');
  });

  test('levels are passed on: gzip -1 and -9 differ, and both read back', async () => {
    const fast = await through(await createCompressor('gzip', {level: 1}), DATA);
    const best = await through(await createCompressor('gzip', {level: 9}), DATA);
    assert.ok(!fast.equals(best));
    assert.ok(best.length <= fast.length);
    assert.ok(run(['gzip', '-dc'], fast).equals(DATA));
  });

  test('an empty input still makes a valid stream for each codec', async () => {
    for (const c of WRITE_COMPRESSIONS) {
      const packed = await through(await createCompressor(c), Buffer.alloc(0));
      if (c === 'none') assert.equal(packed.length, 0);
      else assert.equal(run(SYSTEM[c]!.decompress, packed).length, 0, c);
    }
  });
});

describe('createDecompressor: reads what the system tools write', () => {
  for (const c of ['gzip', 'xz', 'lzma', 'bzip2', 'zstd', 'none'] as Compression[]) {
    test(c, async () => {
      const packed = SYSTEM[c] ? run(SYSTEM[c]!.compress, DATA) : DATA;
      assert.ok((await through(await createDecompressor(c), packed)).equals(DATA));
    });
  }

  test('1-byte pieces', async () => {
    const small = DATA.subarray(0, 20000);
    for (const c of ['gzip', 'xz', 'zstd'] as Compression[]) {
      assert.ok((await through(await createDecompressor(c), run(SYSTEM[c]!.compress, small), 1)).equals(small), c);
    }
  });

  test("round trip through img's own compressor and decompressor", async () => {
    for (const c of WRITE_COMPRESSIONS) {
      const packed = await through(await createCompressor(c), DATA);
      assert.ok((await through(await createDecompressor(c), packed)).equals(DATA), c);
    }
  });

  test('the xz decoder also reads a .lzma stream (legacy images)', async () => {
    assert.ok((await through(await createDecompressor('xz'), run(SYSTEM.lzma!.compress, DATA))).equals(DATA));
  });
});

describe('createDecompressor: corrupt input is an error, not a hang', {timeout: 60_000}, () => {
  const corrupt = async (c: Compression, input: Buffer): Promise<Error> => {
    try {
      await through(await createDecompressor(c), input);
    } catch (err) {
      assert.ok(err instanceof Error);
      return err;
    }
    assert.fail(`${c}: corrupt input was accepted`);
  };

  test('zstd: a valid magic and garbage', async () => {
    const err = await corrupt('zstd', Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(4096, 0x41)]));
    assert.match(err.message, /^zstd: /);
  });

  test('zstd: a truncated stream', async () => {
    const z = run(SYSTEM.zstd!.compress, DATA);
    const err = await corrupt('zstd', z.subarray(0, z.length >> 1));
    assert.match(err.message, /^zstd: /);
  });

  test('bzip2: a valid magic and garbage', async () => {
    const err = await corrupt('bzip2', Buffer.concat([Buffer.from('BZh9'), Buffer.alloc(4096, 0x41)]));
    assert.match(err.message, /^bzip2: /);
  });

  test('bzip2: a truncated stream', async () => {
    const b = run(SYSTEM.bzip2!.compress, DATA);
    const err = await corrupt('bzip2', b.subarray(0, b.length >> 1));
    assert.match(err.message, /^bzip2: /);
  });

  test('bzip2: a flipped byte in the middle', async () => {
    const b = Buffer.from(run(SYSTEM.bzip2!.compress, DATA));
    const mid = b.length >> 1;
    b[mid] = b[mid]! ^ 0xff;
    await corrupt('bzip2', b);
  });

  test('gzip: garbage after the magic, and a truncated stream', async () => {
    await corrupt('gzip', Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08, 0x00]), Buffer.alloc(4096, 0x41)]));
    const g = run(SYSTEM.gzip!.compress, DATA);
    await corrupt('gzip', g.subarray(0, g.length >> 1));
  });

  test('xz: garbage after the magic, and a truncated stream', async () => {
    await corrupt('xz', Buffer.concat([Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), Buffer.alloc(4096, 0x41)]));
    const x = run(SYSTEM.xz!.compress, DATA);
    await corrupt('xz', x.subarray(0, x.length >> 1));
  });
});

describe('external tools that are missing', () => {
  test('zstd and bzip2 not on PATH: a ToolMissing error naming the package', async () => {
    const path = process.env.PATH;
    try {
      process.env.PATH = '/nonexistent';
      for (const [c, pkg] of [
        ['zstd', 'zstd'],
        ['bzip2', 'bzip2'],
      ] as Array<[WriteCompression, string]>) {
        await assert.rejects((async () => through(await createCompressor(c), Buffer.from('x')))(), (err: unknown) => {
          assert.ok(err instanceof UserError, String(err));
          assert.equal(err.code, 'ToolMissing');
          assert.equal(err.message, `${c} is not installed (apt-get install ${pkg})`);
          return true;
        });
      }
    } finally {
      process.env.PATH = path;
    }
  });
});
