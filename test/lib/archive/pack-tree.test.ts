// src/lib/archive/pack-tree.ts: trees packed through every codec img writes, then read back by
// the SYSTEM tools (gzip/xz/bzip2/zstd -d and GNU tar -tv), which are independent of img.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {createWriteStream, linkSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync, chmodSync, chownSync, lchownSync} from 'node:fs';
import {join} from 'node:path';
import {pipeline} from 'node:stream/promises';
import {describe, test} from 'node:test';
import * as tar from 'tar-stream';
import {createCompressor, WRITE_COMPRESSIONS, type WriteCompression} from '../../../src/lib/archive/codecs.js';
import {byteOrder, packBuffer, packTree, type PackOptions} from '../../../src/lib/archive/pack-tree.js';
import {UserError} from '../../../src/lib/errors.js';
import {tempDir} from '../../helpers/tmp.js';

const isRoot = process.getuid?.() === 0;
const DECOMPRESS: Record<WriteCompression, string[] | null> = {
  gzip: ['gzip', '-dc'],
  xz: ['xz', '-dc'],
  bzip2: ['bzip2', '-dc'],
  zstd: ['zstd', '-dcq'],
  none: null,
};

/** Pack `dir` under `prefix` into `out` through `compression`, as build.ts does. */
async function packTo(
  out: string,
  dir: string,
  prefix: string,
  compression: WriteCompression,
  opts: PackOptions = {},
  extra?: (p: tar.Pack) => Promise<void>,
): Promise<Buffer> {
  const p = tar.pack();
  const producer = (async () => {
    if (extra) await extra(p);
    await packTree(p, dir, prefix, opts);
    p.finalize();
  })();
  await Promise.all([producer, pipeline(p, await createCompressor(compression), createWriteStream(out))]);
  return readFileSync(out);
}

/** The plain tar inside `file`, decompressed by the system tool. */
function systemDecompress(file: string, compression: WriteCompression): Buffer {
  const cmd = DECOMPRESS[compression];
  if (!cmd) return readFileSync(file);
  return execFileSync(cmd[0]!, [...cmd.slice(1), file], {maxBuffer: 256 << 20});
}

interface Listed {
  mode: string;
  owner: string;
  size: string;
  time: string;
  name: string;
  link?: string;
}

/** `tar -tv --full-time` of a plain tar, parsed. Owners print as names only when the archive has them. */
function gnuList(plain: Buffer): Listed[] {
  const out = execFileSync('tar', ['-tv', '--full-time', '-f', '-'], {input: plain, encoding: 'utf8', maxBuffer: 64 << 20});
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const m = /^(\S+) (\S+) +(\S+) (\S+ \S+) (.*)$/.exec(line);
      assert.ok(m, line);
      const [, mode, owner, size, time, rest] = m;
      const sym = / -> (.*)$/.exec(rest!);
      const hard = / link to (.*)$/.exec(rest!);
      const name = sym ? rest!.slice(0, sym.index) : hard ? rest!.slice(0, hard.index) : rest!;
      const e: Listed = {mode: mode!, owner: owner!, size: size!, time: time!, name};
      if (sym) e.link = sym[1]!;
      if (hard) e.link = hard[1]!;
      return e;
    });
}

/** User and group names straight from the headers (python's tarfile: another independent reader). */
function headerNames(plain: Buffer): Array<[string, string, string]> {
  const py = 'import sys,tarfile,json\nt=tarfile.open(fileobj=sys.stdin.buffer,mode="r|")\nprint(json.dumps([[m.name,m.uname,m.gname] for m in t]))';
  return JSON.parse(execFileSync('python3', ['-c', py], {input: plain, encoding: 'utf8', maxBuffer: 64 << 20})) as Array<[string, string, string]>;
}

/** A tree with every kind of entry pack-tree handles, and names whose order tests byte sorting. */
function makeTree(root: string): string {
  mkdirSync(join(root, 'etc'), {recursive: true});
  mkdirSync(join(root, 'a'), {recursive: true});
  mkdirSync(join(root, 'dev'), {recursive: true});
  mkdirSync(join(root, 'empty'), {recursive: true});
  writeFileSync(join(root, 'etc/hostname'), 'tiny\n');
  writeFileSync(join(root, 'a/x'), 'x');
  writeFileSync(join(root, 'a-b'), 'dash');
  writeFileSync(join(root, 'B'), 'upper');
  writeFileSync(join(root, 'b'), 'lower');
  writeFileSync(join(root, '_u'), 'underscore');
  writeFileSync(join(root, '10'), 'ten');
  writeFileSync(join(root, '9'), 'nine');
  writeFileSync(join(root, 'é'), 'e-acute');
  writeFileSync(join(root, 'z'), 'zed');
  writeFileSync(join(root, 'hard1'), 'linked content');
  linkSync(join(root, 'hard1'), join(root, 'hard2'));
  symlinkSync('etc/hostname', join(root, 'link'));
  symlinkSync('/nonexistent/target', join(root, 'dangling'));
  execFileSync('mkfifo', [join(root, 'fifo')]);
  // A socket: skipped, as tar does.
  execFileSync('python3', ['-c', `import socket;s=socket.socket(socket.AF_UNIX);s.bind(${JSON.stringify(join(root, 'sock'))})`]);
  chmodSync(join(root, 'etc/hostname'), 0o640);
  chmodSync(join(root, 'a'), 0o750);
  if (isRoot) {
    execFileSync('mknod', ['-m', '666', join(root, 'dev/null'), 'c', '1', '3']);
    execFileSync('mknod', ['-m', '660', join(root, 'dev/loop0'), 'b', '7', '0']);
    chownSync(join(root, 'b'), 1234, 5678);
    lchownSync(join(root, 'link'), 4321, 8765);
  }
  // Fixed times, so that packing without `mtime` is checked too.
  for (const f of ['etc/hostname', 'a/x', 'a-b', 'B', 'b', '_u', '10', '9', 'é', 'z', 'hard1']) utimesSync(join(root, f), 1600000000, 1600000000);
  return root;
}

const NAMES = [
  'rootfs/',
  'rootfs/10',
  'rootfs/9',
  'rootfs/B',
  'rootfs/_u',
  'rootfs/a/',
  'rootfs/a/x',
  'rootfs/a-b',
  'rootfs/b',
  'rootfs/dangling',
  ...(isRoot ? ['rootfs/dev/', 'rootfs/dev/loop0', 'rootfs/dev/null'] : ['rootfs/dev/']),
  'rootfs/empty/',
  'rootfs/etc/',
  'rootfs/etc/hostname',
  'rootfs/fifo',
  'rootfs/hard1',
  'rootfs/hard2',
  'rootfs/link',
  'rootfs/z',
  'rootfs/é',
];

describe('packTree through every codec, read back by the system tools', () => {
  const work = tempDir();
  const tree = makeTree(join(work, 'tree'));

  test('WRITE_COMPRESSIONS are the five codecs img writes', () => {
    assert.deepEqual([...WRITE_COMPRESSIONS], ['gzip', 'xz', 'bzip2', 'zstd', 'none']);
  });

  for (const compression of WRITE_COMPRESSIONS) {
    describe(compression, () => {
      test('entries sorted by bytes at every level, each kind of entry preserved, owners numeric without names, mtime fixed', async () => {
        const out = join(work, `fixed.${compression}`);
        await packTo(out, tree, 'rootfs/', compression, {mtime: 1700000000});
        const plain = systemDecompress(out, compression);
        const list = gnuList(plain);
        assert.deepEqual(
          list.map((e) => e.name),
          NAMES,
        );
        const by = new Map(list.map((e) => [e.name, e]));
        for (const e of list) assert.equal(e.time, '2023-11-14 22:13:20', `${e.name} has the fixed mtime`);
        assert.equal(by.get('rootfs/')!.mode[0], 'd');
        assert.equal(by.get('rootfs/a/')!.mode, 'drwxr-x---');
        assert.equal(by.get('rootfs/etc/hostname')!.mode, '-rw-r-----');
        assert.equal(by.get('rootfs/etc/hostname')!.size, '5');
        assert.deepEqual(by.get('rootfs/link'), {...by.get('rootfs/link')!, mode: 'lrwxrwxrwx', link: 'etc/hostname'});
        assert.equal(by.get('rootfs/dangling')!.link, '/nonexistent/target');
        assert.equal(by.get('rootfs/fifo')!.mode[0], 'p');
        assert.equal(by.get('rootfs/hard1')!.mode[0], '-');
        assert.equal(by.get('rootfs/hard1')!.size, '14');
        assert.equal(by.get('rootfs/hard2')!.mode[0], 'h');
        assert.equal(by.get('rootfs/hard2')!.link, 'rootfs/hard1');
        assert.equal(by.has('rootfs/sock'), false, 'sockets are skipped');
        const uid = process.getuid!();
        const gid = process.getgid!();
        assert.equal(by.get('rootfs/etc/hostname')!.owner, `${uid}/${gid}`, 'numeric owner, since no names are recorded');
        if (isRoot) {
          assert.equal(by.get('rootfs/dev/null')!.mode, 'crw-rw-rw-');
          assert.equal(by.get('rootfs/dev/null')!.size, '1,3');
          assert.equal(by.get('rootfs/dev/loop0')!.mode, 'brw-rw----');
          assert.equal(by.get('rootfs/dev/loop0')!.size, '7,0');
          assert.equal(by.get('rootfs/b')!.owner, '1234/5678');
          assert.equal(by.get('rootfs/link')!.owner, '4321/8765', "a symlink's own owner (lstat)");
        }
        for (const [name, uname, gname] of headerNames(plain)) {
          assert.equal(uname, '', `${name} has no user name`);
          assert.equal(gname, '', `${name} has no group name`);
        }
        // And GNU tar extracts it to the same content.
        const x = join(work, `x-${compression}`);
        mkdirSync(x);
        execFileSync('tar', ['-xf', '-', '-C', x], {input: plain});
        assert.equal(readFileSync(join(x, 'rootfs/etc/hostname'), 'utf8'), 'tiny\n');
        assert.equal(readFileSync(join(x, 'rootfs/hard2'), 'utf8'), 'linked content');
        assert.equal(readFileSync(join(x, 'rootfs/é'), 'utf8'), 'e-acute');
      });

      test('the same tree packs to the same bytes twice', async () => {
        const a = await packTo(join(work, `a.${compression}`), tree, 'rootfs/', compression, {mtime: 1700000000});
        const b = await packTo(join(work, `b.${compression}`), tree, 'rootfs/', compression, {mtime: 1700000000});
        assert.ok(a.length > 0);
        assert.ok(a.equals(b), `${compression}: two packs differ`);
      });
    });
  }

  test('allRoot records every entry as 0/0', async () => {
    const out = join(work, 'root.tar');
    await packTo(out, tree, 'rootfs/', 'none', {allRoot: true, mtime: 1700000000});
    const list = gnuList(readFileSync(out));
    for (const e of list) assert.equal(e.owner, '0/0', e.name);
  });

  test('without mtime, each entry keeps its own modification time', async () => {
    const out = join(work, 'own-times.tar');
    await packTo(out, tree, 'rootfs/', 'none');
    const by = new Map(gnuList(readFileSync(out)).map((e) => [e.name, e]));
    const expected = new Date(1600000000 * 1000).toISOString().replace('T', ' ').slice(0, 19);
    assert.equal(by.get('rootfs/etc/hostname')!.time, expected);
    assert.equal(by.get('rootfs/b')!.time, expected);
  });

  test('the "./" prefix of a split rootfs: "./" first, then "./…" names', async () => {
    const out = join(work, 'dot.tar');
    await packTo(out, tree, './', 'none', {mtime: 1700000000});
    const names = gnuList(readFileSync(out)).map((e) => e.name);
    assert.deepEqual(
      names,
      NAMES.map((n) => n.replace(/^rootfs\//, './')),
    );
  });

  test('packBuffer adds one root-owned file; entries keep the order they were added in', async () => {
    const out = join(work, 'meta.tar.gz');
    const meta = Buffer.from('architecture: x86_64\ncreation_date: 1700000000\n');
    await packTo(out, join(tree, 'etc'), 'templates/', 'gzip', {mtime: 1700000000, allRoot: true}, (p) => packBuffer(p, 'metadata.yaml', meta, 1700000000));
    const plain = systemDecompress(out, 'gzip');
    const list = gnuList(plain);
    assert.deepEqual(
      list.map((e) => e.name),
      ['metadata.yaml', 'templates/', 'templates/hostname'],
    );
    assert.deepEqual(list[0], {mode: '-rw-r--r--', owner: '0/0', size: String(meta.length), time: '2023-11-14 22:13:20', name: 'metadata.yaml'});
    assert.equal(execFileSync('tar', ['-xOf', '-', 'metadata.yaml'], {input: plain}).toString(), meta.toString());
  });

  test('packBuffer with another mode', async () => {
    const out = join(work, 'mode.tar');
    const p = tar.pack();
    const done = pipeline(p, createWriteStream(out));
    await packBuffer(p, 'run.sh', Buffer.from('#!/bin/sh\n'), 0, 0o755);
    p.finalize();
    await done;
    assert.deepEqual(
      gnuList(readFileSync(out)).map((e) => [e.mode, e.time, e.name]),
      [['-rwxr-xr-x', '1970-01-01 00:00:00', 'run.sh']],
    );
  });

  test('a path that is not a directory is refused with NotDirectory', async () => {
    const p = tar.pack();
    p.resume();
    await assert.rejects(packTree(p, join(tree, 'etc/hostname'), 'rootfs/'), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.equal(err.code, 'NotDirectory');
      assert.equal(err.message, `${join(tree, 'etc/hostname')}: not a directory`);
      return true;
    });
  });
});

describe('byteOrder', () => {
  test('sorts as `LC_ALL=C sort`: by UTF-8 bytes', () => {
    const names = ['é', 'b', 'a-b', 'B', '_u', '10', '9', 'a', 'z', '\u{1f600}', '\uff01'];
    const expected = execFileSync('sort', [], {input: names.join('\n') + '\n', env: {...process.env, LC_ALL: 'C'}, encoding: 'utf8'})
      .trimEnd()
      .split('\n');
    assert.deepEqual([...names].sort(byteOrder), expected);
    assert.deepEqual(expected, ['10', '9', 'B', '_u', 'a', 'a-b', 'b', 'z', 'é', '\uff01', '\u{1f600}']);
  });
});
