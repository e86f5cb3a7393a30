// The BlobStore contract: what every backend must do, exercised through openBlobStore only, so a
// backend passes by how it behaves, not by what its class is. A backend's test file adds one line:
//
//   blobStoreContract('s3', () => freshS3Location());
//
// `location` is called once per test and must give a fresh, empty location (an absolute path or a
// URL that a child process can open too), so that every test passes alone (--test-name-pattern).
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {createHash} from 'node:crypto';
import {Readable} from 'node:stream';
import {describe, test} from 'node:test';
import {setTimeout as sleep} from 'node:timers/promises';
import {fileURLToPath} from 'node:url';
import {isUserError} from '../../../src/lib/errors.js';
import {type BlobStore, openBlobStore} from '../../../src/lib/storage/index.js';
import {codeOf} from '../../helpers/store.js';

const PROJECT = fileURLToPath(new URL('../../../', import.meta.url));
const PUT_CHILD = fileURLToPath(new URL('./put-child.ts', import.meta.url));
/** What put-child.ts prints once its put is writing. */
const PUT_CHILD_MARKER = 'put-child: writing\n';
const MiB = 1 << 20;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

export function blobStoreContract(name: string, location: () => Promise<string> | string): void {
  const fresh = async (): Promise<BlobStore> => openBlobStore(await location());

  describe(`BlobStore contract: ${name}`, () => {
    test('put then get gives back the same bytes; put reports key, size, sha256 and mtime', async () => {
      const store = await fresh();
      const bytes = Buffer.concat([0, 1, 2].map(() => Buffer.from(Array.from({length: 256}, (_, i) => i))));
      const before = Date.now();
      const info = await store.put('bytes/all-256', bytes);
      assert.equal(info.key, 'bytes/all-256');
      assert.equal(info.size, 768);
      assert.equal(info.sha256, sha256(bytes));
      assert.ok(info.mtime instanceof Date);
      assert.ok(Math.abs(info.mtime.getTime() - before) < 60_000, `mtime ${info.mtime.toISOString()} is not about now`);
      assert.deepEqual(await read(store.get('bytes/all-256')), bytes);
      // A view into a larger buffer stores only its own bytes.
      const view = new Uint8Array(100).fill(7).subarray(10, 20);
      view[0] = 1;
      assert.equal((await store.put('bytes/view', view)).size, 10);
      assert.deepEqual(await read(store.get('bytes/view')), Buffer.from([1, 7, 7, 7, 7, 7, 7, 7, 7, 7]));
    });

    test('a string is stored as its UTF-8 bytes', async () => {
      const store = await fresh();
      const text = 'héllo wörld ✓ 𝄞\n';
      const info = await store.put('text/hello.txt', text);
      assert.equal(info.size, Buffer.byteLength(text, 'utf8'));
      assert.equal(info.sha256, sha256(Buffer.from(text, 'utf8')));
      assert.equal((await read(store.get('text/hello.txt'))).toString('utf8'), text);
    });

    test('a streamed 5 MiB input in 64 KiB pieces is stored whole, hashed on the way', async () => {
      const store = await fresh();
      const expected = createHash('sha256');
      async function* pieces(): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < 80; i++) {
          const piece = pattern(64 << 10, i);
          expected.update(piece);
          yield piece;
        }
      }
      const info = await store.put('stream/five-mib', pieces());
      const want = expected.digest('hex');
      assert.equal(info.size, 5 * MiB);
      assert.equal(info.sha256, want);
      const back = await read(store.get('stream/five-mib'));
      assert.equal(back.length, 5 * MiB);
      assert.equal(sha256(back), want);
      assert.equal((await store.stat('stream/five-mib'))?.size, 5 * MiB);
    });

    test('a Readable of buffers or of strings is stored as its bytes', async () => {
      const store = await fresh();
      const parts = [pattern(3 * MiB + 5, 1), pattern(17, 2), pattern(MiB, 3)];
      const info = await store.put('readable/buffers', Readable.from(parts));
      assert.equal(info.sha256, sha256(Buffer.concat(parts)));
      assert.deepEqual(await read(store.get('readable/buffers')), Buffer.concat(parts));
      await store.put('readable/strings', Readable.from(['ab', 'ç', 'd']));
      assert.equal((await read(store.get('readable/strings'))).toString('utf8'), 'abçd');
    });

    test('an empty object is stored, listed and read as empty', async () => {
      const store = await fresh();
      const info = await store.put('empty/zero', '');
      assert.equal(info.size, 0);
      assert.equal(info.sha256, EMPTY_SHA256);
      assert.equal((await store.stat('empty/zero'))?.size, 0);
      assert.deepEqual(await read(store.get('empty/zero')), Buffer.alloc(0));
      assert.deepEqual(await summary(store, 'empty/'), [['empty/zero', 0]]);
    });

    test('put over an existing key replaces the object whole', async () => {
      const store = await fresh();
      await store.put('over/key', pattern(3 * MiB, 4));
      const info = await store.put('over/key', 'short now');
      assert.equal(info.size, 9);
      assert.equal((await read(store.get('over/key'))).toString(), 'short now');
      assert.equal((await store.stat('over/key'))?.size, 9);
      assert.deepEqual(await summary(store, ''), [['over/key', 9]]);
    });

    test('a declared size or sha256 that does not match is refused, naming both, and the old object stays', async () => {
      const store = await fresh();
      await store.put('declared/key', 'old');
      const refused =
        (code: string, ...parts: string[]) =>
        (err: unknown) => {
          assert.ok(isUserError(err), String(err));
          assert.equal(err.code, code);
          for (const part of ['declared/key', ...parts]) assert.ok(err.message.includes(part), `"${err.message}" does not name ${part}`);
          return true;
        };
      await assert.rejects(store.put('declared/key', 'new data', {size: 3}), refused('SizeMismatch', '3'));
      await assert.rejects(store.put('declared/key', 'new data', {size: 100}), refused('SizeMismatch', '100', '8'));
      const wrong = sha256(Buffer.from('something else'));
      await assert.rejects(store.put('declared/key', 'new data', {sha256: wrong}), refused('HashMismatch', wrong, sha256(Buffer.from('new data'))));
      // A stream that runs past its declared size is stopped there, not read to its end.
      async function* endless(): AsyncGenerator<Uint8Array> {
        for (let sent = 0; sent < 64 * MiB; sent += 64 << 10) yield pattern(64 << 10, 5);
        throw new Error('the store read 64 MiB of a put declared as 1 MiB');
      }
      await assert.rejects(store.put('declared/key', endless(), {size: MiB}), refused('SizeMismatch', String(MiB)));
      assert.equal((await read(store.get('declared/key'))).toString(), 'old');
      assert.equal(await codeOf(store.put('declared/new', 'x', {size: 2})), 'SizeMismatch');
      assert.equal(await codeOf(store.put('declared/new', 'x', {sha256: EMPTY_SHA256})), 'HashMismatch');
      assert.equal(await store.stat('declared/new'), undefined);
      assert.deepEqual(await summary(store, ''), [['declared/key', 3]]);
    });

    test('a matching declared size and sha256 are accepted, the sha256 in either case', async () => {
      const store = await fresh();
      const data = pattern(2 * MiB + 3, 6);
      const info = await store.put('match/key', chunked(data, 100_000), {size: data.length, sha256: sha256(data).toUpperCase()});
      assert.equal(info.sha256, sha256(data));
      assert.deepEqual(await read(store.get('match/key')), data);
    });

    test('a put whose input fails rejects with its error and leaves the old object, nothing else', async () => {
      const store = await fresh();
      await store.put('broken/key', 'old');
      async function* breaks(): AsyncGenerator<Uint8Array> {
        yield pattern(2 * MiB, 7);
        throw new Error('the source broke');
      }
      await assert.rejects(store.put('broken/key', breaks()), /the source broke/);
      await assert.rejects(store.put('broken/other', breaks()), /the source broke/);
      assert.equal((await read(store.get('broken/key'))).toString(), 'old');
      assert.deepEqual(await summary(store, ''), [['broken/key', 3]]);
    });

    test('get with a range: end is inclusive and an end past the object is clamped', async () => {
      const store = await fresh();
      const data = pattern(1000, 8);
      await store.put('range/key', data);
      const slice = (range: {start?: number; end?: number}) => read(store.get('range/key', range));
      assert.deepEqual(await slice({}), data);
      assert.deepEqual(await slice({start: 10}), data.subarray(10));
      assert.deepEqual(await slice({start: 10, end: 19}), data.subarray(10, 20));
      assert.deepEqual(await slice({end: 9}), data.subarray(0, 10));
      assert.deepEqual(await slice({start: 990, end: 5000}), data.subarray(990));
      assert.deepEqual(await slice({start: 999, end: 999}), data.subarray(999));
      assert.deepEqual(await slice({start: 0, end: 0}), data.subarray(0, 1));
      // Across the large chunks a backend may read in.
      const big = pattern(3 * MiB, 9);
      await store.put('range/big', big);
      assert.deepEqual(await read(store.get('range/big', {start: MiB - 5, end: 2 * MiB + 4})), big.subarray(MiB - 5, 2 * MiB + 5));
    });

    test('a range starting at or past the end is InvalidRange; an empty object reads as empty from 0', async () => {
      const store = await fresh();
      await store.put('badrange/key', pattern(1000, 10));
      for (const range of [{start: 1000}, {start: 5000, end: 6000}, {start: 10, end: 9}, {start: -1}, {start: 1.5}, {end: -1}]) {
        assert.equal(await codeOf(store.get('badrange/key', range)), 'InvalidRange', JSON.stringify(range));
      }
      await store.put('badrange/empty', '');
      for (const range of [{}, {start: 0}, {start: 0, end: 10}]) assert.deepEqual(await read(store.get('badrange/empty', range)), Buffer.alloc(0));
      assert.equal(await codeOf(store.get('badrange/empty', {start: 1})), 'InvalidRange');
    });

    test('get of a missing key is BlobNotFound and stat of it is undefined, also where other keys sit below', async () => {
      const store = await fresh();
      assert.equal(await codeOf(store.get('missing/key')), 'BlobNotFound');
      assert.equal(await codeOf(store.get('missing/key', {start: 5})), 'BlobNotFound');
      assert.equal(await store.stat('missing/key'), undefined);
      await store.put('tree/leaf', 'x');
      assert.equal(await codeOf(store.get('tree')), 'BlobNotFound');
      assert.equal(await store.stat('tree'), undefined);
      assert.equal(await codeOf(store.get('tree/leaf/under')), 'BlobNotFound');
      assert.equal(await store.stat('tree/leaf/under'), undefined);
    });

    test('stat gives the key, size and mtime of an object, and the sha256 put gave if any', async () => {
      const store = await fresh();
      const put = await store.put('stat/key', pattern(12345, 11));
      const info = await store.stat('stat/key');
      assert.ok(info);
      assert.equal(info.key, 'stat/key');
      assert.equal(info.size, 12345);
      assert.ok(info.mtime instanceof Date);
      assert.ok(Math.abs(info.mtime.getTime() - put.mtime.getTime()) < 2000);
      if (info.sha256 !== undefined) assert.equal(info.sha256, put.sha256);
    });

    test('list by prefix: a plain string prefix over nested keys, sorted by UTF-8 bytes', async () => {
      const store = await fresh();
      const keys = [
        'images/a/b.json',
        'images/a/b/c',
        'images/a/b/d/e',
        'images/a/bc',
        'images/a/a',
        'images/ab',
        'images/z',
        'images/\u{FF61}', // UTF-8 EF BD A1: before the next in bytes, after it in UTF-16 units
        'images/\u{1F600}', // UTF-8 F0 9F 98 80
        'other/x',
      ];
      for (const [i, key] of keys.entries()) await store.put(key, 'x'.repeat(i));
      const listed = async (prefix: string) => (await store.list(prefix)).map((info) => info.key);
      assert.deepEqual(await listed('images/a/b'), ['images/a/b.json', 'images/a/b/c', 'images/a/b/d/e', 'images/a/bc']);
      assert.deepEqual(await listed('images/a/b/'), ['images/a/b/c', 'images/a/b/d/e']);
      assert.deepEqual(await listed('images/a/'), ['images/a/a', 'images/a/b.json', 'images/a/b/c', 'images/a/b/d/e', 'images/a/bc']);
      assert.deepEqual(await listed('images/a'), ['images/a/a', 'images/a/b.json', 'images/a/b/c', 'images/a/b/d/e', 'images/a/bc', 'images/ab']);
      const all = await listed('images/');
      assert.deepEqual(all, byBytes(keys.filter((k) => k.startsWith('images/'))));
      assert.ok(all.indexOf('images/\u{FF61}') < all.indexOf('images/\u{1F600}'), 'sorted by bytes, not UTF-16 units');
      assert.deepEqual(await listed('images/nothing'), []);
      assert.deepEqual(await listed('images/nothing/'), []);
      assert.deepEqual(await listed('nowhere/at/all/'), []);
      for (const info of await store.list('images/a/b')) {
        assert.equal(info.size, keys.indexOf(info.key));
        assert.ok(info.mtime instanceof Date);
      }
    });

    test('the empty prefix lists everything', async () => {
      const store = await fresh();
      for (const key of ['b', 'a/b/c', 'c.txt', 'a.json']) await store.put(key, key);
      assert.deepEqual(
        (await store.list('')).map((i) => i.key),
        ['a.json', 'a/b/c', 'b', 'c.txt'],
      );
      assert.deepEqual(
        (await store.list()).map((i) => i.key),
        ['a.json', 'a/b/c', 'b', 'c.txt'],
      );
    });

    test('a put in progress is not listed, and its key shows the old object until it lands', async () => {
      const store = await fresh();
      await store.put('busy/key', 'old');
      await store.put('busy/other', 'other');
      const gate = deferred();
      const reached = [deferred(), deferred()];
      async function* held(i: number): AsyncGenerator<Uint8Array> {
        yield pattern(3 * MiB, 12 + i);
        reached[i]!.resolve();
        await gate.promise;
        yield Buffer.from('end');
      }
      const puts = [store.put('busy/key', held(0)), store.put('busy/new', held(1))];
      await Promise.all(reached.map((r) => r.promise));
      assert.deepEqual(await summary(store, ''), [
        ['busy/key', 3],
        ['busy/other', 5],
      ]);
      assert.deepEqual(await summary(store, 'busy/'), [
        ['busy/key', 3],
        ['busy/other', 5],
      ]);
      assert.equal(await store.stat('busy/new'), undefined);
      assert.equal((await read(store.get('busy/key'))).toString(), 'old');
      gate.resolve();
      await Promise.all(puts);
      const size = 3 * MiB + 3;
      assert.deepEqual(await summary(store, ''), [
        ['busy/key', size],
        ['busy/new', size],
        ['busy/other', 5],
      ]);
    });

    test('delete removes the object; a missing key deletes silently; a put after it works', async () => {
      const store = await fresh();
      await store.put('del/a', 'a');
      await store.put('del/b/c', 'c');
      await store.delete('del/a');
      assert.equal(await store.stat('del/a'), undefined);
      assert.equal(await codeOf(store.get('del/a')), 'BlobNotFound');
      assert.deepEqual(
        (await store.list('del/')).map((i) => i.key),
        ['del/b/c'],
      );
      await store.delete('del/a');
      await store.delete('never/was/here');
      // "del/b" holds a key but is none: deleting it deletes nothing.
      await store.delete('del/b');
      assert.deepEqual(
        (await store.list('')).map((i) => i.key),
        ['del/b/c'],
      );
      await store.delete('del/b/c');
      assert.deepEqual(await store.list(''), []);
      await store.put('del/b/c', 'again');
      assert.equal((await read(store.get('del/b/c'))).toString(), 'again');
    });

    test('each bad key form is InvalidBlobKey for every operation, and nothing is stored', async () => {
      const store = await fresh();
      const bad = [
        '',
        '/',
        '/abs',
        'a//b',
        'a/',
        '.',
        '..',
        './a',
        'a/./b',
        '../a',
        'a/..',
        'a/../b',
        'a\\b',
        '..\\a',
        'a\0b',
        '.x.0123456789ab.tmp',
        'd/.name.00112233aabb.tmp',
        'd/..hid.00112233aabb.tmp/e',
      ];
      for (const key of bad) {
        const what = JSON.stringify(key);
        assert.equal(await codeOf(store.put(key, 'x')), 'InvalidBlobKey', `put ${what}`);
        assert.equal(await codeOf(store.get(key)), 'InvalidBlobKey', `get ${what}`);
        assert.equal(await codeOf(store.stat(key)), 'InvalidBlobKey', `stat ${what}`);
        assert.equal(await codeOf(store.delete(key)), 'InvalidBlobKey', `delete ${what}`);
      }
      assert.deepEqual(await store.list(''), []);
    });

    test('keys that only look odd are keys', async () => {
      const store = await fresh();
      const odd = [
        '.hidden',
        'a/..b',
        'a/b..',
        '...',
        'with space/é ü/ok',
        'x.0123456789ab.tmp',
        '.x.0123456789ab.tmp.json',
        '.x.tmp',
        'k/.x.0123456789AB.tmp',
      ];
      for (const key of odd) await store.put(key, key);
      for (const key of odd) assert.equal((await read(store.get(key))).toString(), key);
      assert.deepEqual(
        (await store.list('')).map((i) => i.key),
        byBytes(odd),
      );
    });

    test('list prefixes: climbing or malformed ones are InvalidBlobKey, partial segments are fine', async () => {
      const store = await fresh();
      await store.put('.hid/den', 'x');
      for (const prefix of ['/', '/a', '.', '..', '../', './', 'a/..', 'a/../b', 'a/.', 'a//', 'a\\b', 'a\0', 'd/.n.00112233aabb.tmp/']) {
        assert.equal(await codeOf(store.list(prefix)), 'InvalidBlobKey', JSON.stringify(prefix));
      }
      for (const prefix of ['', 'a', 'a/', '.h', '.hid/', '.hid/d', 'a/b.']) await store.list(prefix);
      assert.deepEqual(
        (await store.list('.h')).map((i) => i.key),
        ['.hid/den'],
      );
    });

    test('concurrent puts to one key end with one of them, whole', async () => {
      const store = await fresh();
      const versions = Array.from({length: 8}, (_, i) => pattern(2 * MiB, 100 + i));
      const results = await Promise.all(versions.map((v) => store.put('race/key', chunked(v, 64 << 10))));
      assert.deepEqual(
        results.map((r) => r.sha256),
        versions.map((v) => sha256(v)),
      );
      const final = sha256(await read(store.get('race/key')));
      assert.ok(
        versions.some((v) => sha256(v) === final),
        'the object is one of the versions put',
      );
      assert.deepEqual(await summary(store, ''), [['race/key', 2 * MiB]]);
    });

    test('a put killed with SIGKILL leaves the old object (or none) under its key and lists nothing new', async () => {
      const where = await location();
      const store = openBlobStore(where);
      await store.put('killed/key', 'the old bytes\n');
      await store.put('killed/neighbour', 'n');
      await runKilledPut(where, 'killed/key');
      assert.equal((await read(store.get('killed/key'))).toString(), 'the old bytes\n');
      await runKilledPut(where, 'killed/new');
      assert.equal(await store.stat('killed/new'), undefined);
      assert.equal(await codeOf(store.get('killed/new')), 'BlobNotFound');
      assert.deepEqual(await summary(store, ''), [
        ['killed/key', 14],
        ['killed/neighbour', 1],
      ]);
    });
  });
}

/**
 * Start put-child.ts on `location` and `key`, wait until its put is writing, and kill it with
 * SIGKILL: no handler runs, so only what the store already did on disk (or on the wire) is left.
 */
export async function runKilledPut(location: string, key: string): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', PUT_CHILD, location, key], {cwd: PROJECT, stdio: ['ignore', 'pipe', 'pipe']});
  let stdout = '';
  let stderr = '';
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const writing = new Promise<void>((resolve) => {
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      stdout += s;
      if (stdout.includes(PUT_CHILD_MARKER)) resolve();
    });
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const first = await Promise.race([writing.then(() => 'writing'), exited.then(() => 'exited'), sleep(30_000, 'timed out', {ref: false})]);
  if (first !== 'writing') {
    child.kill('SIGKILL');
    await exited;
    assert.fail(`put-child ${first} before it was writing: ${stderr}`);
  }
  // Let the writes the marker vouches for land, and more be under way when the kill comes.
  await sleep(200);
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL', `put-child ended by itself: ${stderr}`);
}

async function read(stream: Readable | Promise<Readable>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of await stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

async function summary(store: BlobStore, prefix: string): Promise<Array<[string, number]>> {
  return (await store.list(prefix)).map((info) => [info.key, info.size]);
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `length` bytes that differ with `seed` and along the buffer (no two 64 KiB pieces alike). */
function pattern(length: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) out[i] = (i * 131 + Math.floor(i / 65_536) * 7 + seed * 17) & 0xff;
  return out;
}

/** `data` as a stream of `size` pieces that yields to other work between pieces. */
async function* chunked(data: Buffer, size: number): AsyncGenerator<Uint8Array> {
  for (let offset = 0; offset < data.length; offset += size) {
    await new Promise((resolve) => setImmediate(resolve));
    yield data.subarray(offset, offset + size);
  }
}

function byBytes(keys: string[]): string[] {
  return [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

function deferred(): {promise: Promise<void>; resolve: () => void} {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return {promise, resolve};
}
