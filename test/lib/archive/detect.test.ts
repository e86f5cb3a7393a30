// src/lib/archive/detect.ts: LXD 5.0.2's magic table (shared/archive DetectCompressionFile),
// checked on files written by the system tools and on crafted headers.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {closeSync, mkdirSync, openSync, readFileSync, readSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {detectFormat, formatOfName, requireFormat, SNIFF_BYTES, type DetectedFormat} from '../../../src/lib/archive/detect.js';
import {InvalidImageError} from '../../../src/lib/errors.js';
import {tar} from '../../helpers/images.js';
import {tempDir} from '../../helpers/tmp.js';

const BZIP2: DetectedFormat = {kind: 'tar', compression: 'bzip2', extension: '.tar.bz2'};
const GZIP: DetectedFormat = {kind: 'tar', compression: 'gzip', extension: '.tar.gz'};
const XZ: DetectedFormat = {kind: 'tar', compression: 'xz', extension: '.tar.xz'};
const LZMA: DetectedFormat = {kind: 'tar', compression: 'lzma', extension: '.tar.lzma'};
const TAR: DetectedFormat = {kind: 'tar', compression: 'none', extension: '.tar'};
const SQUASHFS: DetectedFormat = {kind: 'squashfs', compression: 'none', extension: '.squashfs'};
const QCOW2: DetectedFormat = {kind: 'qcow2', compression: 'none', extension: '.qcow2'};
const ZSTD: DetectedFormat = {kind: 'tar', compression: 'zstd', extension: '.tar.zst'};

/** The first SNIFF_BYTES of a file, as LXD reads them. */
function head(path: string): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** `bytes` at offset 0 of a zeroed header of `size` bytes, plus "ustar" at 257 when asked. */
function header(bytes: number[] | string, opts: {ustar?: boolean; size?: number} = {}): Buffer {
  const h = Buffer.alloc(opts.size ?? SNIFF_BYTES);
  (typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : Buffer.from(bytes)).copy(h, 0);
  if (opts.ustar) h.write('ustar', 257, 'latin1');
  return h;
}

/** Deterministic bytes that match no magic (first byte 0xAA, nothing at 257). */
function noise(n: number): Buffer {
  const b = Buffer.alloc(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  b[0] = 0xaa;
  if (n > 257) b[257] = 0;
  return b;
}

function refusal(fn: () => unknown): InvalidImageError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof InvalidImageError, `expected InvalidImageError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a refusal');
}

describe('detectFormat on files written by the system tools', () => {
  const dir = tempDir();
  const src = join(dir, 'src');
  mkdirSync(join(src, 'etc'), {recursive: true});
  writeFileSync(join(src, 'metadata.yaml'), 'architecture: x86_64\ncreation_date: 1700000000\n');
  writeFileSync(join(src, 'etc/hostname'), 'tiny\n');
  const plain = join(dir, 'a.tar');
  tar(['-cf', plain, '-C', src, 'metadata.yaml', 'etc']);
  const posix = join(dir, 'posix.tar');
  tar(['--format=posix', '-cf', posix, '-C', src, 'metadata.yaml', 'etc']);
  const data = readFileSync(plain);
  const sh = (cmd: string, args: string[]): Buffer => execFileSync(cmd, args, {input: data, maxBuffer: 64 << 20});

  const cases: Array<[string, () => Buffer, DetectedFormat]> = [
    ['GNU tar (ustar magic at 257)', () => data, TAR],
    ['POSIX (pax) tar', () => readFileSync(posix), TAR],
    ['gzip -c', () => sh('gzip', ['-c', '-n']), GZIP],
    ['xz -c', () => sh('xz', ['-c', '-T1']), XZ],
    ['xz --format=lzma (lzma-alone, 5d 00 00)', () => sh('xz', ['-c', '--format=lzma']), LZMA],
    ['bzip2 -c', () => sh('bzip2', ['-c']), BZIP2],
    ['zstd -c', () => sh('zstd', ['-c', '-q']), ZSTD],
  ];
  for (const [name, make, expected] of cases) {
    test(name, () => {
      const file = join(dir, name.replace(/\W+/g, '-'));
      writeFileSync(file, make());
      assert.deepEqual(detectFormat(head(file)), expected);
      assert.deepEqual(requireFormat(head(file), file), expected);
    });
  }

  test('mksquashfs output', () => {
    const out = join(dir, 'r.squashfs');
    execFileSync('mksquashfs', [src, out, '-noappend', '-quiet', '-no-progress', '-comp', 'gzip']);
    assert.deepEqual(detectFormat(head(out)), SQUASHFS);
  });

  test('lz4 output is refused, naming lz4 and LXD\'s "Unsupported compression"', () => {
    const out = join(dir, 'a.tar.lz4');
    execFileSync('lz4', ['-q', '-f', plain, out]);
    const h = head(out);
    assert.deepEqual([...h.subarray(0, 4)], [0x04, 0x22, 0x4d, 0x18]);
    assert.equal(detectFormat(h), null);
    const err = refusal(() => requireFormat(h, 'a.tar.lz4'));
    assert.equal(err.message, 'a.tar.lz4: Unsupported compression (lz4 is not supported by LXD)');
    assert.equal(err.code, 'UnsupportedCompression');
  });

  test('the extension is never trusted: an xz file named .tar.gz is xz', () => {
    const out = join(dir, 'lies.tar.gz');
    writeFileSync(out, sh('xz', ['-c', '-T1']));
    assert.deepEqual(detectFormat(head(out)), XZ);
  });
});

describe('detectFormat: every row of the magic table on crafted headers', () => {
  const rows: Array<[string, Buffer, DetectedFormat]> = [
    ['bzip2 "BZ"', header('BZh9'), BZIP2],
    ['gzip 1f 8b', header([0x1f, 0x8b, 0x08]), GZIP],
    ['xz fd "7zXZ"', header([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]), XZ],
    ['lzma: "7zXZ" at 1 not preceded by fd', header([0x00, 0x37, 0x7a, 0x58, 0x5a]), LZMA],
    ['lzma: "7zXZ" at 1 preceded by "X"', header('X7zXZ'), LZMA],
    ['lzma-alone 5d 00 00', header([0x5d, 0x00, 0x00, 0x80, 0x00]), LZMA],
    ['ustar at 257', header([], {ustar: true}), TAR],
    ['squashfs "hsqs"', header('hsqs'), SQUASHFS],
    ['qcow2 "QFI"', header('QFI\xfb'), QCOW2],
    ['zstd 28 b5 2f fd', header([0x28, 0xb5, 0x2f, 0xfd]), ZSTD],
  ];
  for (const [name, h, expected] of rows) {
    test(name, () => assert.deepEqual(detectFormat(h), expected));
  }

  test('near misses match nothing', () => {
    assert.equal(detectFormat(header('Bz')), null);
    assert.equal(detectFormat(header([0x1f, 0x8c])), null);
    assert.equal(detectFormat(header([0xfd, 0x37, 0x7a, 0x58, 0x59])), null);
    assert.equal(detectFormat(header([0x5d, 0x00, 0x01])), null);
    assert.equal(detectFormat(header([0x5d, 0x01, 0x00])), null);
    assert.equal(detectFormat(header('hsqt')), null);
    assert.equal(detectFormat(header('QF')), null);
    assert.equal(detectFormat(header('qfi')), null);
    assert.equal(detectFormat(header([0x28, 0xb5, 0x2f, 0xfe])), null);
    const h = header([]);
    h.write('ustar', 256, 'latin1');
    assert.equal(detectFormat(h), null, '"ustar" one byte early');
    const h2 = header([]);
    h2.write('ustaR', 257, 'latin1');
    assert.equal(detectFormat(h2), null);
  });

  test('order of precedence: the first row that matches wins', () => {
    // Each of these carries a second magic that a later row would take.
    assert.deepEqual(detectFormat(header('BZ', {ustar: true})), BZIP2, 'bzip2 before ustar');
    assert.deepEqual(detectFormat(header([0x1f, 0x8b], {ustar: true})), GZIP, 'gzip before ustar');
    assert.deepEqual(detectFormat(header([0xfd, 0x37, 0x7a, 0x58, 0x5a], {ustar: true})), XZ, 'xz before ustar');
    assert.deepEqual(detectFormat(header('h7zXZ')), LZMA, 'any byte but fd before "7zXZ" is lzma');
    assert.deepEqual(detectFormat(header([0x5d, 0x00, 0x00], {ustar: true})), LZMA, 'lzma-alone before ustar');
    assert.deepEqual(detectFormat(header('hsqs', {ustar: true})), TAR, 'ustar before squashfs');
    assert.deepEqual(detectFormat(header('QFI\xfb', {ustar: true})), TAR, 'ustar before qcow2');
    assert.deepEqual(detectFormat(header([0x28, 0xb5, 0x2f, 0xfd], {ustar: true})), TAR, 'ustar before zstd');
    assert.deepEqual(detectFormat(header('Q7zXZ')), LZMA, '"7zXZ" at 1 before qcow2');
    // "BZ" followed by "7zXZ"-like bytes is still bzip2.
    assert.deepEqual(detectFormat(header('BZXZ')), BZIP2);
  });
});

describe('detectFormat on short and odd inputs', () => {
  test('SNIFF_BYTES is 263: the ustar magic ends at byte 262', () => {
    assert.equal(SNIFF_BYTES, 263);
  });

  test('magics at offset 0 are recognised in inputs shorter than 263 bytes', () => {
    assert.deepEqual(detectFormat(Buffer.from('BZ')), BZIP2);
    assert.deepEqual(detectFormat(Buffer.from([0x1f, 0x8b])), GZIP);
    assert.deepEqual(detectFormat(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a])), XZ);
    assert.deepEqual(detectFormat(Buffer.from([0x5d, 0x00, 0x00])), LZMA);
    assert.deepEqual(detectFormat(Buffer.from('hsqs')), SQUASHFS);
    assert.deepEqual(detectFormat(Buffer.from('QFI')), QCOW2);
    assert.deepEqual(detectFormat(Buffer.from([0x28, 0xb5, 0x2f, 0xfd])), ZSTD);
  });

  test('a magic cut short matches nothing', () => {
    assert.equal(detectFormat(Buffer.from('B')), null);
    assert.equal(detectFormat(Buffer.from([0x1f])), null);
    assert.equal(detectFormat(Buffer.from([0xfd, 0x37, 0x7a, 0x58])), null);
    assert.equal(detectFormat(Buffer.from('hsq')), null);
    assert.equal(detectFormat(Buffer.from('QF')), null);
    assert.equal(detectFormat(Buffer.from([0x28, 0xb5, 0x2f])), null);
  });

  test('ustar needs all 262 bytes: 262 is enough, 261 is not', () => {
    const full = header([], {ustar: true});
    assert.deepEqual(detectFormat(full.subarray(0, 262)), TAR);
    assert.equal(detectFormat(full.subarray(0, 261)), null);
  });

  test('a Uint8Array (not a Buffer) works the same', () => {
    assert.deepEqual(detectFormat(new Uint8Array([0x1f, 0x8b, 0x08])), GZIP);
  });

  test('empty input: null, and requireFormat says the file is empty', () => {
    assert.equal(detectFormat(Buffer.alloc(0)), null);
    const err = refusal(() => requireFormat(Buffer.alloc(0), 'x.tar'));
    assert.equal(err.message, 'x.tar: file is empty');
    assert.equal(err.code, 'EmptyFile');
  });

  test('263 zero bytes are refused as "Unsupported compression"', () => {
    const err = refusal(() => requireFormat(Buffer.alloc(SNIFF_BYTES), 'zeros'));
    assert.equal(err.message, 'zeros: Unsupported compression (not a tarball, squashfs or qcow2 image)');
    assert.equal(err.code, 'UnsupportedCompression');
  });

  test('random bytes are refused as "Unsupported compression"', () => {
    for (const n of [1, 10, 262, 263, 4096]) {
      const b = noise(n);
      assert.equal(detectFormat(b), null, `${n} bytes`);
      const err = refusal(() => requireFormat(b, 'random.bin'));
      assert.equal(err.message, 'random.bin: Unsupported compression (not a tarball, squashfs or qcow2 image)');
    }
  });

  test('lz4, zip and 7z are refused and named', () => {
    const cases: Array<[Buffer, string]> = [
      [header([0x04, 0x22, 0x4d, 0x18]), 'lz4'],
      [header('PK\x03\x04'), 'zip'],
      [header('7z\xbc\xaf\x27\x1c'), '7z'],
    ];
    for (const [h, name] of cases) {
      assert.equal(detectFormat(h), null, name);
      const err = refusal(() => requireFormat(h, 'f'));
      assert.equal(err.message, `f: Unsupported compression (${name} is not supported by LXD)`);
      assert.equal(err.code, 'UnsupportedCompression');
    }
  });

  test('an lz4 magic with a ustar block behind it is a plain tar (the table comes first)', () => {
    assert.deepEqual(detectFormat(header([0x04, 0x22, 0x4d, 0x18], {ustar: true})), TAR);
  });
});

describe('formatOfName', () => {
  test("what a remote file's name suggests before it is read; nothing for a name that says nothing", () => {
    assert.deepEqual(formatOfName('images/x/lxd.tar.xz'), {kind: 'tar', compression: 'xz', extension: '.tar.xz'});
    assert.deepEqual(formatOfName('ROOT.TAR.GZ'), {kind: 'tar', compression: 'gzip', extension: '.tar.gz'});
    assert.deepEqual(formatOfName('a.tar'), {kind: 'tar', compression: 'none', extension: '.tar'});
    assert.deepEqual(formatOfName('root.squashfs'), {kind: 'squashfs', compression: 'none', extension: '.squashfs'});
    assert.deepEqual(formatOfName('disk.qcow2'), {kind: 'qcow2', compression: 'none', extension: '.qcow2'});
    assert.equal(formatOfName('disk-kvm.img'), undefined);
  });
});
