import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {Readable} from 'node:stream';
import {describe, test} from 'node:test';
import {isUserError} from '../../src/lib/errors.js';
import {writeFileAtomic} from '../../src/lib/io/atomic.js';
import {FileLock, ProcessMutex} from '../../src/lib/store/lock.js';
import {Store} from '../../src/lib/store/store.js';
import {cleanTmp, WorkDir} from '../../src/lib/store/workdir.js';
import {PROJECT} from '../helpers/cli.js';
import {GOOD_META} from '../helpers/hostile.js';
import {tarBytes} from '../helpers/tar-bytes.js';
import {tempDir} from '../helpers/tmp.js';

const work = tempDir();
const image = (seed: string, meta = GOOD_META): Buffer => tarBytes([['metadata.yaml', meta], ['rootfs/', ''], ['rootfs/seed', `${seed}\n`]]);
const source = (data: Buffer, name = 'in.tar') => ({stream: Readable.from([data]), name});
const code = async (p: Promise<unknown>): Promise<string> => {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (isUserError(err)) return err.code;
    throw err;
  }
};

describe('Store', () => {
  test('import lays out images/<fp>/ with image.json and the file, and aliases in aliases.json', async () => {
    const store = new Store({home: join(work, 'a')});
    const view = await store.importImage([source(image('one'), 'one.tar')], {aliases: ['one', 'uno'], properties: {extra: 'x'}});
    assert.deepEqual(readdirSync(join(work, 'a', 'images', view.fingerprint)).sort(), ['image.json', 'unified']);
    assert.ok(readFileSync(join(work, 'a', 'images', view.fingerprint, 'unified')).equals(image('one')));
    const record = JSON.parse(readFileSync(join(work, 'a', 'images', view.fingerprint, 'image.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(record.filename, 'one.tar');
    assert.deepEqual(record.properties, {os: 'evil', description: 'hostile', extra: 'x'});
    assert.equal(record.aliases, undefined, 'aliases live in aliases.json only');
    assert.deepEqual(view.aliases.map((a) => a.name), ['one', 'uno']);
    assert.deepEqual(Object.keys((JSON.parse(readFileSync(join(work, 'a', 'aliases.json'), 'utf8')) as {aliases: object}).aliases), ['one', 'uno']);
    assert.deepEqual(readdirSync(join(work, 'a', 'tmp')), []);
  });

  test('resolve: alias first, then a unique prefix in any case; not found and ambiguous are user errors', async () => {
    const store = new Store({home: join(work, 'b')});
    // Import until two fingerprints share their first hex digit (at most 17 imports).
    const byDigit = new Map<string, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const fp = (await store.importImage([source(image(`seed-${i}`))])).fingerprint;
      const twin = byDigit.get(fp[0]!);
      if (twin) pair = [twin, fp];
      else byDigit.set(fp[0]!, fp);
    }
    const [a, b] = pair;
    await store.createAlias(b.slice(0, 1), a);
    assert.equal((await store.resolve(b.slice(0, 1))).fingerprint, a, 'an alias wins over a prefix');
    await store.deleteAlias(b.slice(0, 1));
    assert.equal(await code(store.resolve(a.slice(0, 1))), 'AmbiguousPrefix');
    assert.equal((await store.resolve(a.slice(0, 20).toUpperCase())).fingerprint, a);
    assert.equal(await code(store.resolve('nope')), 'ImageNotFound');
    assert.equal(await code(store.resolve('')), 'ImageNotFound');
  });

  test('addImage: a duplicate is refused, or kept (publish) with its aliases re-pointed', async () => {
    const home = join(work, 'c');
    const store = new Store({home});
    const first = await store.importImage([source(image('dup'))], {aliases: ['keep']});
    const other = await store.importImage([source(image('other'))], {aliases: ['moving']});
    assert.equal(await code(store.importImage([source(image('dup'))])), 'ImageExists');
    const third = await store.importImage([source(image('third'))], {aliases: ['taken']});
    const fourth = await store.importImage([source(image('fourth'))], {aliases: ['taken']});
    assert.deepEqual((await store.view(third.fingerprint))!.aliases, [], 'as lxc image import, an existing alias moves to the new image');
    assert.deepEqual(fourth.aliases.map((a) => a.name), ['taken']);
    const work2 = await store.createWork('test');
    writeFileSync(join(work2.path, 'unified'), image('dup'));
    const record = (await store.readRecord(first.fingerprint))!;
    const {existed, view} = await store.addImage(work2, record, {aliases: ['moving'], repointAliases: true, ifExists: 'keep'});
    await work2.dispose();
    assert.equal(existed, true);
    assert.deepEqual(view.aliases.map((a) => a.name), ['keep', 'moving']);
    assert.deepEqual((await store.view(other.fingerprint))!.aliases, []);
  });

  test('updateRecord writes atomically and may not change the fingerprint', async () => {
    const store = new Store({home: join(work, 'd')});
    const v = await store.importImage([source(image('upd'))]);
    const next = await store.updateRecord(v.fingerprint, (r) => ({...r, public: true}));
    assert.equal(next.public, true);
    assert.equal((await store.readRecord(v.fingerprint))!.public, true);
    await assert.rejects(store.updateRecord(v.fingerprint, (r) => ({...r, fingerprint: '0'.repeat(64)})));
    assert.equal(await code(store.updateRecord('f'.repeat(64), (r) => r)), 'ImageNotFound');
    assert.deepEqual(readdirSync(join(work, 'd', 'images', v.fingerprint)).sort(), ['image.json', 'unified'], 'no temporary files left');
  });

  test('deleteImage removes the directory and every alias of the image', async () => {
    const store = new Store({home: join(work, 'e')});
    const v = await store.importImage([source(image('del'))], {aliases: ['d1', 'd2']});
    await store.deleteImage(v.fingerprint);
    assert.equal(existsSync(join(work, 'e', 'images', v.fingerprint)), false);
    assert.deepEqual(await store.listAliases(), []);
    assert.equal(await code(store.deleteImage(v.fingerprint)), 'ImageNotFound');
  });

  test('a failed import leaves nothing behind', async () => {
    const home = join(work, 'f');
    const store = new Store({home});
    assert.equal(await code(store.importImage([source(Buffer.from('not an image at all'.repeat(40)))])), 'UnsupportedCompression');
    assert.deepEqual(readdirSync(join(home, 'tmp')), []);
    assert.deepEqual(await store.fingerprints(), []);
  });

  test('alias names: empty, ":" and control characters are refused', async () => {
    const store = new Store({home: join(work, 'g')});
    const v = await store.importImage([source(image('names'))]);
    for (const bad of ['', 'a:b', 'tab\there', ' lead']) assert.equal(await code(store.createAlias(bad, v.fingerprint)), 'InvalidAlias', JSON.stringify(bad));
    await store.createAlias('ubuntu/22.04', v.fingerprint);
    assert.equal((await store.resolve('ubuntu/22.04')).fingerprint, v.fingerprint);
  });
});

describe('work directories and leftovers', () => {
  test('cleanTmp removes what dead processes left and keeps live work', async () => {
    const tmp = join(work, 'tmp-clean');
    mkdirSync(tmp);
    const live = await WorkDir.create(tmp, 'live');
    mkdirSync(join(tmp, 'orphan-dir'));
    writeFileSync(join(tmp, 'dead-1.lock'), '');
    mkdirSync(join(tmp, 'dead-1'));
    writeFileSync(join(tmp, 'dead-1', 'unified'), 'partial');
    const removed = await cleanTmp(tmp);
    assert.deepEqual(removed.sort(), ['dead-1', 'orphan-dir']);
    assert.ok(existsSync(live.path), 'a directory whose lock is held is kept');
    await live.dispose();
    assert.deepEqual(readdirSync(tmp), []);
  });
});

describe('locks', () => {
  test('a lock held by another process excludes us until that process dies', async () => {
    const path = join(work, 'x.lock');
    writeFileSync(path, '');
    const holder = spawn(process.execPath, ['-e', `const fs=require('fs');const x=require('fs-native-extensions');const fd=fs.openSync(process.argv[1],'r+');x.tryLock(fd);process.stdout.write('held\\n');setInterval(()=>{},1000)`, path], {
      cwd: PROJECT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((r) => holder.stdout.once('data', () => r()));
    assert.equal(await FileLock.tryAcquire(path), undefined);
    let waited = false;
    const acquiring = FileLock.acquire(path, () => (waited = true));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(waited, true, 'the waiter is told it waits');
    holder.kill('SIGKILL');
    const lock = await acquiring;
    await lock.release();
  });

  test('two opens in one process exclude each other (OFD locks), hence ProcessMutex', async () => {
    const path = join(work, 'y.lock');
    const a = await FileLock.acquire(path);
    assert.equal(await FileLock.tryAcquire(path), undefined);
    await a.release();
    const b = await FileLock.tryAcquire(path);
    assert.ok(b);
    await b.release();
    const mutex = new ProcessMutex();
    const order: number[] = [];
    await Promise.all([1, 2, 3].map((n) => mutex.run(async () => {
      order.push(n);
      await new Promise((r) => setTimeout(r, 10));
      order.push(-n);
    })));
    assert.deepEqual(order, [1, -1, 2, -2, 3, -3]);
  });

  test('writeFileAtomic replaces the file and leaves no temporary name', async () => {
    const dir = join(work, 'atomic');
    mkdirSync(dir);
    await writeFileAtomic(join(dir, 'f.json'), 'one');
    await writeFileAtomic(join(dir, 'f.json'), 'two');
    assert.equal(readFileSync(join(dir, 'f.json'), 'utf8'), 'two');
    assert.deepEqual(readdirSync(dir), ['f.json']);
  });
});

describe('digests on first use', () => {
  test('ensureDigests computes sha1, md5 (and a split rootfs\'s sha256) once, in one read, and keeps them', async () => {
    const {createHash} = await import('node:crypto');
    const store = new Store({home: join(work, 'digests')});
    const meta = tarBytes([['metadata.yaml', GOOD_META]]);
    const root = tarBytes([['etc/', ''], ['etc/hostname', 'split\n']]);
    const v = await store.importImage([source(meta, 'meta.tar'), source(root, 'root.tar')]);
    assert.equal(v.files.find((f) => f.role === 'rootfs')!.sha256, undefined, 'import computes only the fingerprint and the small metadata file\'s own sha256');
    assert.equal(v.files[0]!.sha1, undefined);
    let read = 0;
    const after = await store.ensureDigests(v.fingerprint, (n) => (read += n));
    assert.equal(read, meta.length + root.length, 'each file read once, computing every missing digest in the same pass');
    const h = (algo: string, b: Buffer) => createHash(algo).update(b).digest('hex');
    const [m, r] = [after.files.find((f) => f.role === 'metadata')!, after.files.find((f) => f.role === 'rootfs')!];
    assert.deepEqual([m.sha256, m.sha1, m.md5], [h('sha256', meta), h('sha1', meta), h('md5', meta)]);
    assert.deepEqual([r.sha256, r.sha1, r.md5], [h('sha256', root), h('sha1', root), h('md5', root)]);
    assert.deepEqual((await store.readRecord(v.fingerprint))!.files, after.files, 'kept in the record');
    read = 0;
    await store.ensureDigests(v.fingerprint, (n) => (read += n));
    assert.equal(read, 0, 'the second use reads nothing');
  });
});
