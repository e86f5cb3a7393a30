import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync} from 'node:fs';
import {join, resolve} from 'node:path';
import {describe, test} from 'node:test';
import {pathToFileURL} from 'node:url';
import {isUserError, type UserError} from '../../../src/lib/errors.js';
import {CHUNK_SIZE} from '../../../src/lib/io/chunks.js';
import {isTempSegment} from '../../../src/lib/storage/blob-store.js';
import {LocalDirBlobStore, openBlobStore} from '../../../src/lib/storage/index.js';
import {tempDir} from '../../helpers/tmp.js';
import {blobStoreContract, runKilledPut} from './contract.js';

blobStoreContract('local directory', () => tempDir('img-blob-'));

describe('LocalDirBlobStore', () => {
  test('a path or a file:// URL opens a LocalDirBlobStore; localPath is the file of a key', async () => {
    const dir = tempDir();
    const store = openBlobStore(dir);
    assert.ok(store instanceof LocalDirBlobStore);
    await store.put('a/b.txt', 'hello');
    assert.equal(store.localPath('a/b.txt'), join(dir, 'a', 'b.txt'));
    assert.equal(readFileSync(store.localPath('a/b.txt'), 'utf8'), 'hello');
    assert.equal(await code(async () => store.localPath('a/../../etc/passwd')), 'InvalidBlobKey');
    const byUrl = openBlobStore(pathToFileURL(dir).href);
    assert.ok(byUrl instanceof LocalDirBlobStore);
    assert.equal(byUrl.localPath('a/b.txt'), join(dir, 'a', 'b.txt'));
    assert.equal((await read(byUrl.get('a/b.txt'))).toString(), 'hello');
    const relative = openBlobStore('some/relative/dir');
    assert.ok(relative instanceof LocalDirBlobStore);
    assert.equal(relative.root, resolve('some/relative/dir'));
  });

  test('s3:// is refused as Usage until it has its own backend; unknown schemes and "" are Usage', async () => {
    const s3 = await caught(async () => openBlobStore('s3://bucket/prefix'));
    assert.equal(s3.code, 'Usage');
    assert.equal(s3.exit, 2);
    assert.match(s3.message, /^s3:\/\/bucket\/prefix: object storage .* its own issue/);
    assert.doesNotMatch((await caught(async () => openBlobStore('s3://KEY:SECRET@bucket/p'))).message, /SECRET/);
    for (const location of ['gopher://host/x', '', 'file://otherhost/srv/x']) {
      assert.equal((await caught(async () => openBlobStore(location))).code, 'Usage', location);
    }
  });

  test('the root and parent directories are made by the first put; before it the store is empty', async () => {
    const root = join(tempDir(), 'not', 'yet');
    const store = openBlobStore(root);
    assert.deepEqual(await store.list(''), []);
    assert.equal(await store.stat('p/q'), undefined);
    assert.equal(await code(() => store.get('p/q')), 'BlobNotFound');
    await store.delete('p/q');
    assert.equal(existsSync(root), false, 'reading does not make the root');
    await store.put('p/q/r/s.bin', 'deep');
    assert.ok(statSync(join(root, 'p', 'q', 'r')).isDirectory());
    assert.equal(readFileSync(join(root, 'p', 'q', 'r', 's.bin'), 'utf8'), 'deep');
  });

  test('delete removes the directories it emptied, never the root', async () => {
    const root = tempDir();
    const store = openBlobStore(root);
    await store.put('x/y/z', 'z');
    await store.put('x/keep', 'k');
    await store.delete('x/y/z');
    assert.equal(existsSync(join(root, 'x', 'y')), false);
    assert.ok(existsSync(join(root, 'x', 'keep')));
    await store.delete('x/keep');
    assert.deepEqual(readdirSync(root), []);
    await store.put('top', 't');
    await store.delete('top');
    assert.ok(statSync(root).isDirectory());
  });

  test('get reads in CHUNK_SIZE chunks', async () => {
    const store = openBlobStore(tempDir());
    await store.put('big', Buffer.alloc(3 * CHUNK_SIZE + 1, 1));
    const sizes: number[] = [];
    for await (const chunk of await store.get('big')) sizes.push((chunk as Buffer).length);
    assert.deepEqual(sizes, [CHUNK_SIZE, CHUNK_SIZE, CHUNK_SIZE, 1]);
  });

  test('an object and a directory of objects cannot share a name here (they can in S3): InvalidBlobKey', async () => {
    const store = openBlobStore(tempDir());
    await store.put('f', 'file');
    await store.put('d/e', 'under d');
    assert.equal(await code(() => store.put('f/g', 'x')), 'InvalidBlobKey');
    assert.equal(await code(() => store.put('f/g/h', 'x')), 'InvalidBlobKey');
    assert.equal(await code(() => store.put('d', 'x')), 'InvalidBlobKey');
    assert.equal((await read(store.get('f'))).toString(), 'file');
    assert.deepEqual(
      (await store.list('')).map((i) => i.key),
      ['d/e', 'f'],
    );
  });

  test('a segment longer than the filesystem takes is InvalidBlobKey for put and absent for reads', async () => {
    const store = openBlobStore(tempDir());
    for (const key of ['n'.repeat(250), `${'n'.repeat(300)}/leaf`]) {
      assert.equal(await code(() => store.put(key, 'x')), 'InvalidBlobKey', key.length.toString());
      assert.equal(await code(() => store.get(key)), 'BlobNotFound');
      assert.equal(await store.stat(key), undefined);
      await store.delete(key);
    }
    assert.deepEqual(await store.list(''), []);
  });

  test('a put killed with SIGKILL leaves only an unlisted temporary, which the next put does not mind', async () => {
    const root = tempDir();
    const store = openBlobStore(root);
    await store.put('k/obj', 'old');
    await runKilledPut(root, 'k/obj');
    const temps = readdirSync(join(root, 'k')).filter((name) => name !== 'obj');
    assert.equal(temps.length, 1, `left: ${temps.join(', ')}`);
    const temp = temps[0]!;
    assert.match(temp, /^\.obj\.[0-9a-f]{12}\.tmp$/);
    assert.ok(isTempSegment(temp), 'the reserved key shape covers the temporaries io/atomic.ts names');
    assert.ok(statSync(join(root, 'k', temp)).size > 0, 'the child had written to its temporary');
    assert.deepEqual(
      (await store.list('')).map((i) => i.key),
      ['k/obj'],
    );
    assert.equal((await read(store.get('k/obj'))).toString(), 'old');
    await store.put('k/obj', 'new');
    assert.equal((await read(store.get('k/obj'))).toString(), 'new');
    assert.deepEqual(
      (await store.list('k/')).map((i) => i.key),
      ['k/obj'],
    );
  });

  test('symbolic links are not followed: no key reaches outside the root, or anywhere, through one', async () => {
    const root = tempDir();
    const outside = tempDir();
    writeFileSync(join(outside, 'secret'), 'secret');
    symlinkSync(outside, join(root, 'out'));
    symlinkSync(join(outside, 'secret'), join(root, 'leak'));
    mkdirSync(join(root, 'real'));
    writeFileSync(join(root, 'real', 'f'), 'inside');
    symlinkSync('real', join(root, 'alias'));
    const store = openBlobStore(root);
    for (const key of ['out/secret', 'out/new', 'out/deeper/new', 'leak', 'alias/f']) {
      assert.equal(await code(() => store.put(key, 'written')), 'PermissionDenied', `put ${key}`);
      assert.equal(await code(() => store.get(key)), 'PermissionDenied', `get ${key}`);
      assert.equal(await code(() => store.stat(key)), 'PermissionDenied', `stat ${key}`);
      assert.equal(await code(() => store.delete(key)), 'PermissionDenied', `delete ${key}`);
    }
    assert.equal(await code(() => store.list('out/')), 'PermissionDenied');
    assert.deepEqual(readdirSync(outside), ['secret']);
    assert.equal(readFileSync(join(outside, 'secret'), 'utf8'), 'secret');
    assert.deepEqual(
      (await store.list('')).map((i) => i.key),
      ['real/f'],
    );
    // The root itself may be a link: it is resolved once, like any path the user gives.
    const linkedRoot = join(tempDir(), 'root-link');
    symlinkSync(root, linkedRoot);
    const viaLink = openBlobStore(linkedRoot);
    await viaLink.put('real/g', 'via the root link');
    assert.equal(readFileSync(join(root, 'real', 'g'), 'utf8'), 'via the root link');
    assert.deepEqual(
      (await viaLink.list('real/')).map((i) => i.key),
      ['real/f', 'real/g'],
    );
  });

  test('list shows only objects: not temporaries, links, FIFOs, or names no key can have', async () => {
    const root = tempDir();
    const store = openBlobStore(root);
    await store.put('sub/ok', 'ok');
    writeFileSync(join(root, '.ok.0123456789ab.tmp'), 'stale');
    writeFileSync(join(root, 'sub', '.ok.abcdefabcdef.tmp'), 'stale');
    writeFileSync(join(root, 'back\\slash'), 'windows');
    symlinkSync('sub/ok', join(root, 'link'));
    const fifo = spawnSync('mkfifo', [join(root, 'sub', 'fifo')]).status === 0;
    assert.deepEqual(
      (await store.list('')).map((i) => i.key),
      ['sub/ok'],
    );
    if (fifo) {
      // Opening a FIFO for reading would wait for a writer; the store must not hang on one.
      assert.equal(await code(() => store.get('sub/fifo')), 'BlobNotFound');
      assert.equal(await store.stat('sub/fifo'), undefined);
    }
  });

  test('data that is not bytes is a TypeError and leaves no temporary', async () => {
    const root = tempDir();
    const store = openBlobStore(root);
    await assert.rejects(store.put('k', 42 as never), TypeError);
    await assert.rejects(
      store.put(
        'k',
        (async function* () {
          yield 42 as never;
        })(),
      ),
      TypeError,
    );
    assert.deepEqual(readdirSync(root), []);
  });
});

async function read(stream: Promise<NodeJS.ReadableStream>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of await stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

async function caught(f: () => Promise<unknown>): Promise<UserError> {
  try {
    await f();
  } catch (err) {
    if (isUserError(err)) return err;
    throw err;
  }
  assert.fail('no error');
}

async function code(f: () => unknown): Promise<string> {
  try {
    await f();
    return 'ok';
  } catch (err) {
    if (isUserError(err)) return err.code;
    throw err;
  }
}
