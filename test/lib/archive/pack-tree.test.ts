// src/lib/archive/pack-tree.ts: trees packed through every codec img writes, then read back by
// the SYSTEM tools (gzip/xz/bzip2/zstd -d and GNU tar -tv), which are independent of img; the
// same bytes as the tar-stream packer img used before; files that change while packed.
import assert from 'node:assert/strict';
import {execFileSync, spawn, type ChildProcess} from 'node:child_process';
import {once} from 'node:events';
import {
  createWriteStream,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
  chmodSync,
  chownSync,
  lchownSync,
} from 'node:fs';
import {join} from 'node:path';
import {PassThrough} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {describe, test} from 'node:test';
import * as tar from 'tar-stream';
import {createCompressor, releasesChunksAtCallback, WRITE_COMPRESSIONS, type WriteCompression} from '../../../src/lib/archive/codecs.js';
import {TarPacker, type PackOptions} from '../../../src/lib/archive/pack-tree.js';
import {byteOrder, treeBytes} from '../../../src/lib/archive/tree.js';
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
  extra?: (p: TarPacker) => Promise<void>,
): Promise<Buffer> {
  const compressor = await createCompressor(compression);
  const flow = pipeline(compressor, createWriteStream(out));
  flow.catch(() => undefined);
  const p = new TarPacker(compressor, releasesChunksAtCallback(compressor));
  try {
    if (extra) await extra(p);
    await p.addTree(dir, prefix, opts);
    await p.finish();
    compressor.end();
  } catch (err) {
    p.release();
    compressor.destroy();
    throw err;
  }
  await flow;
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

describe('TarPacker.addTree through every codec, read back by the system tools', () => {
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

  test('addBuffer adds one root-owned file; entries keep the order they were added in', async () => {
    const out = join(work, 'meta.tar.gz');
    const meta = Buffer.from('architecture: x86_64\ncreation_date: 1700000000\n');
    await packTo(out, join(tree, 'etc'), 'templates/', 'gzip', {mtime: 1700000000, allRoot: true}, (p) => p.addBuffer('metadata.yaml', meta, 1700000000));
    const plain = systemDecompress(out, 'gzip');
    const list = gnuList(plain);
    assert.deepEqual(
      list.map((e) => e.name),
      ['metadata.yaml', 'templates/', 'templates/hostname'],
    );
    assert.deepEqual(list[0], {mode: '-rw-r--r--', owner: '0/0', size: String(meta.length), time: '2023-11-14 22:13:20', name: 'metadata.yaml'});
    assert.equal(execFileSync('tar', ['-xOf', '-', 'metadata.yaml'], {input: plain}).toString(), meta.toString());
  });

  test('addBuffer with another mode', async () => {
    const out = join(work, 'mode.tar');
    const file = createWriteStream(out);
    const p = new TarPacker(file);
    await p.addBuffer('run.sh', Buffer.from('#!/bin/sh\n'), 0, 0o755);
    await p.finish();
    await new Promise((resolve) => file.end(resolve));
    assert.deepEqual(
      gnuList(readFileSync(out)).map((e) => [e.mode, e.time, e.name]),
      [['-rwxr-xr-x', '1970-01-01 00:00:00', 'run.sh']],
    );
  });

  test('a path that is not a directory is refused with NotDirectory', async () => {
    const p = new TarPacker(new PassThrough().resume());
    await assert.rejects(p.addTree(join(tree, 'etc/hostname'), 'rootfs/'), (err: unknown) => {
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

/** The packer img used before TarPacker (tar-stream, a read stream per file): the reference for its bytes. */
async function tarStreamPack(dir: string, prefix: string, mtime: number): Promise<Buffer> {
  const p = tar.pack();
  const links = new Map<string, string>();
  const add = (header: Pick<tar.Header, 'name' | 'type' | 'mode' | 'uid' | 'gid'> & Partial<tar.Header>, body?: Buffer) =>
    new Promise<void>((resolve, reject) => {
      p.entry({size: 0, ...header, uname: '', gname: '', mtime: new Date(mtime * 1000)}, body ?? Buffer.alloc(0), (err) => (err ? reject(err) : resolve()));
    });
  const walk = async (path: string, name: string) => {
    for (const child of readdirSync(path).sort(byteOrder)) {
      const full = join(path, child);
      const st = lstatSync(full);
      const base = {name: name + child, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid};
      if (st.isDirectory()) {
        await add({...base, name: `${name}${child}/`, type: 'directory'});
        await walk(full, `${name}${child}/`);
      } else if (st.isSymbolicLink()) await add({...base, type: 'symlink', linkname: readlinkSync(full)});
      else if (st.isFile()) {
        const first = st.nlink > 1 ? links.get(`${st.dev}:${st.ino}`) : undefined;
        if (first) await add({...base, type: 'link', linkname: first});
        else {
          if (st.nlink > 1) links.set(`${st.dev}:${st.ino}`, name + child);
          await add({...base, type: 'file', size: st.size}, readFileSync(full));
        }
      } else if (st.isFIFO()) await add({...base, type: 'fifo'});
    }
  };
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const top = lstatSync(dir);
  await add({name: prefix, type: 'directory', mode: top.mode & 0o7777, uid: top.uid, gid: top.gid});
  await walk(dir, prefix);
  p.finalize();
  await new Promise<void>((resolve) => p.on('end', () => resolve()));
  return Buffer.concat(chunks);
}

describe('TarPacker: the bytes, large and odd entries', () => {
  const work = tempDir();
  const tree = join(work, 'odd');
  mkdirSync(tree);
  const deep = join(tree, 'a'.repeat(60), 'b'.repeat(60));
  mkdirSync(deep, {recursive: true});
  writeFileSync(join(deep, 'split-into-prefix'), 'ustar prefix');
  const deeper = join(tree, 'c'.repeat(90), 'd'.repeat(90), 'e'.repeat(90));
  mkdirSync(deeper, {recursive: true});
  writeFileSync(join(deeper, 'pax-path'), 'over 255 bytes');
  writeFileSync(join(tree, 'f'.repeat(101)), 'one component over 100: pax');
  symlinkSync('t'.repeat(150), join(tree, 'long-target'));
  symlinkSync('short', join(tree, 'nön-ascii-link'));
  // 3.5 MiB of varied bytes: spans several output chunks.
  const big = Buffer.alloc(3.5 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
  writeFileSync(join(tree, 'big'), big);
  writeFileSync(join(tree, 'chunk-sized'), Buffer.alloc(1 << 20, 7));
  writeFileSync(join(tree, 'empty'), '');
  writeFileSync(join(tree, 'hard'), 'hard');
  linkSync(join(tree, 'hard'), join(tree, 'hard-too'));

  test('the same bytes as the tar-stream packer img used before, for long, non-ASCII and large entries', async () => {
    const ours = await packTo(join(work, 'odd.tar'), tree, 'rootfs/', 'none', {mtime: 1700000000});
    const reference = await tarStreamPack(tree, 'rootfs/', 1700000000);
    assert.equal(ours.length, reference.length);
    assert.ok(ours.equals(reference), 'TarPacker and tar-stream differ');
    const x = join(work, 'odd-x');
    mkdirSync(x);
    execFileSync('tar', ['-xf', join(work, 'odd.tar'), '-C', x]);
    assert.ok(readFileSync(join(x, 'rootfs/big')).equals(big));
    assert.equal(readFileSync(join(x, 'rootfs', deeper.slice(tree.length), 'pax-path'), 'utf8'), 'over 255 bytes');
    assert.equal(readlinkSync(join(x, 'rootfs/long-target')), 't'.repeat(150));
    assert.equal(readlinkSync(join(x, 'rootfs/nön-ascii-link')), 'short');
  });

  for (const compression of ['zstd', 'gzip', 'xz', 'bzip2'] as const) {
    test(`${compression}: chunks reused once the compressor has taken them still carry the same tar`, async () => {
      const out = join(work, `odd.tar.${compression}`);
      await packTo(out, tree, 'rootfs/', compression, {mtime: 1700000000});
      assert.ok(systemDecompress(out, compression).equals(await tarStreamPack(tree, 'rootfs/', 1700000000)));
    });
  }

  test('mode 0 stays 0 (tar-stream wrote it as 0644, which made a mode-0 /etc/shadow world-readable)', async () => {
    const dir = join(work, 'mode0');
    mkdirSync(dir);
    writeFileSync(join(dir, 'shadow'), 'root:*:1::::::\n');
    chmodSync(join(dir, 'shadow'), 0);
    const list = gnuList(await packTo(join(work, 'mode0.tar'), dir, './', 'none'));
    assert.equal(list.find((e) => e.name === './shadow')!.mode, '----------');
  });

  test(
    'owner ids over 262143 are kept (tar-stream clipped them to 777777), with pax past 7 octal digits',
    {skip: !isRoot && 'needs root to chown'},
    async () => {
      const dir = join(work, 'ids');
      mkdirSync(dir);
      writeFileSync(join(dir, 'mapped'), 'x');
      chownSync(join(dir, 'mapped'), 1000000, 1000000);
      writeFileSync(join(dir, 'huge'), 'y');
      chownSync(join(dir, 'huge'), 3000000, 2097152);
      const plain = await packTo(join(work, 'ids.tar'), dir, './', 'none');
      const by = new Map(gnuList(plain).map((e) => [e.name, e]));
      assert.equal(by.get('./mapped')!.owner, '1000000/1000000');
      assert.equal(by.get('./huge')!.owner, '3000000/2097152');
      const py = 'import sys,tarfile,json\nt=tarfile.open(fileobj=sys.stdin.buffer,mode="r|")\nprint(json.dumps([[m.name,m.uid,m.gid] for m in t]))';
      assert.deepEqual(JSON.parse(execFileSync('python3', ['-c', py], {input: plain, encoding: 'utf8'})), [
        ['.', 0, 0],
        ['./huge', 3000000, 2097152],
        ['./mapped', 1000000, 1000000],
      ]);
    },
  );

  test('a time before 1970 is written as the epoch, not as a garbled field', async () => {
    const dir = join(work, 'old');
    mkdirSync(dir);
    writeFileSync(join(dir, 'ancient'), 'x');
    // Node's utimes takes a negative time for "now": touch sets it.
    execFileSync('touch', ['-h', '-d', '1960-01-01 00:00:00 UTC', join(dir, 'ancient')]);
    const list = gnuList(await packTo(join(work, 'old.tar'), dir, './', 'none'));
    assert.equal(list.find((e) => e.name === './ancient')!.time, '1970-01-01 00:00:00');
  });

  test('treeBytes counts what packing reads: file data, each hard-linked file once', () => {
    assert.equal(treeBytes(tree), 12 + 14 + 27 + big.length + (1 << 20) + 4);
  });
});

describe('TarPacker: a file that changes while it is packed fails the build', () => {
  const work = tempDir();

  /** Start `script` (node) on `file` and wait until it says it has begun. */
  async function meddle(script: string, file: string): Promise<ChildProcess> {
    const child = spawn(process.execPath, ['-e', script, file], {stdio: ['ignore', 'pipe', 'inherit']});
    await once(child.stdout, 'data');
    return child;
  }

  async function refusal(dir: string): Promise<UserError> {
    let caught: unknown;
    await packTo(join(work, 'changed.tar.zst'), dir, './', 'zstd').catch((err: unknown) => (caught = err));
    assert.ok(caught instanceof UserError, `expected a UserError, got ${String(caught)}`);
    return caught;
  }

  test('growing', async () => {
    const dir = join(work, 'grows');
    mkdirSync(dir);
    writeFileSync(join(dir, 'log'), Buffer.alloc(48 << 20));
    const child = await meddle(
      "const fs=require('fs');const fd=fs.openSync(process.argv[1],'a');process.stdout.write('go');for(;;)fs.writeSync(fd,'x')",
      join(dir, 'log'),
    );
    try {
      const err = await refusal(dir);
      assert.equal(err.code, 'FileChanged');
      assert.match(err.message, new RegExp(`^${join(dir, 'log')}: changed while it was packed \\(it was \\d+ bytes and grew\\)$`));
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('shrinking', async () => {
    const dir = join(work, 'shrinks');
    mkdirSync(dir);
    writeFileSync(join(dir, 'log'), Buffer.alloc(64 << 20));
    const script = "const fs=require('fs');const f=process.argv[1];let s=fs.statSync(f).size;process.stdout.write('go');while(s>0){s-=64;fs.truncateSync(f,s)}";
    const child = await meddle(script, join(dir, 'log'));
    try {
      const err = await refusal(dir);
      assert.equal(err.code, 'FileChanged');
      assert.match(err.message, /: changed while it was packed \(it was \d+ bytes and shrank to \d+ bytes\)$/);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
