// src/lib/store/import.ts: the import pipeline, including a source that declares what its bytes must be.
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {Readable} from 'node:stream';
import {describe, test} from 'node:test';
import {importImage} from '../../../src/lib/store/import.js';
import {Store} from '../../../src/lib/store/store.js';
import {tarBytes} from '../../helpers/tar-bytes.js';
import {GOOD_META} from '../../helpers/hostile.js';
import {codeOf, streamSource, tinyImage} from '../../helpers/store.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();
const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** The store holds nothing: no image, no alias, no leftover work. */
async function assertEmpty(store: Store, home: string): Promise<void> {
  assert.deepEqual(await store.fingerprints(), []);
  assert.deepEqual(await store.list(), []);
  assert.deepEqual(readdirSync(join(home, 'tmp')), []);
}

describe('importImage', () => {
  test('lays out images/<fp>/ with image.json and the file, and aliases in aliases.json', async () => {
    const home = join(work, 'a');
    const store = new Store({home});
    const view = await importImage(store, [streamSource(tinyImage('one'), 'one.tar')], {aliases: ['one', 'uno'], properties: {extra: 'x'}});
    assert.deepEqual(readdirSync(join(home, 'images', view.fingerprint)).sort(), ['image.json', 'unified']);
    assert.ok(readFileSync(join(home, 'images', view.fingerprint, 'unified')).equals(tinyImage('one')));
    const record = JSON.parse(readFileSync(join(home, 'images', view.fingerprint, 'image.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(record.filename, 'one.tar');
    assert.deepEqual(record.properties, {os: 'evil', description: 'hostile', extra: 'x'});
    assert.equal(record.aliases, undefined, 'aliases live in aliases.json only');
    assert.deepEqual(
      view.aliases.map((a) => a.name),
      ['one', 'uno'],
    );
    assert.deepEqual(Object.keys((JSON.parse(readFileSync(join(home, 'aliases.json'), 'utf8')) as {aliases: object}).aliases), ['one', 'uno']);
    assert.deepEqual(readdirSync(join(home, 'tmp')), []);
  });

  test('a failed import leaves nothing behind', async () => {
    const home = join(work, 'f');
    const store = new Store({home});
    assert.equal(await codeOf(importImage(store, [streamSource(Buffer.from('not an image at all'.repeat(40)))])), 'UnsupportedCompression');
    await assertEmpty(store, home);
  });

  test('alias names are checked before anything is read', async () => {
    const home = join(work, 'names');
    const store = new Store({home});
    assert.equal(await codeOf(importImage(store, [streamSource(tinyImage('n'))], {aliases: ['bad:name']})), 'InvalidAlias');
    assert.equal(await codeOf(importImage(store, [streamSource(tinyImage('n'))], {aliases: ['twice', 'twice']})), 'AliasExists');
    assert.deepEqual(await store.fingerprints(), []);
  });
});

describe('importImage: a source that declares its size and sha256 (a download verifies itself)', () => {
  const bytes = tinyImage('declared');
  const right = sha256(bytes);
  const wrong = sha256(Buffer.from('something else'));

  test('the right declarations are accepted, in either case', async () => {
    const store = new Store({home: join(work, 'ok')});
    const v = await importImage(store, [streamSource(bytes, 'in.tar', {size: bytes.length, sha256: right.toUpperCase()})], {fingerprint: right});
    assert.equal(v.fingerprint, right);
  });

  test('a wrong sha256 is refused naming the file and both hashes, and the store is unchanged', async () => {
    const home = join(work, 'bad-sha');
    const store = new Store({home});
    const kept = await importImage(store, [streamSource(tinyImage('kept'))], {aliases: ['kept']});
    const before = readFileSync(join(home, 'aliases.json'), 'utf8');
    await assert.rejects(
      importImage(store, [streamSource(bytes, 'download.tar', {sha256: wrong})], {aliases: ['kept', 'new']}),
      (err: Error & {code?: string}) => {
        assert.equal(err.code, 'HashMismatch');
        assert.equal(err.message, `download.tar: sha256 mismatch: expected ${wrong}, got ${right}`);
        return true;
      },
    );
    assert.deepEqual(await store.fingerprints(), [kept.fingerprint]);
    assert.equal(readFileSync(join(home, 'aliases.json'), 'utf8'), before, 'no alias moved');
    assert.deepEqual(readdirSync(join(home, 'tmp')), []);
  });

  test('a wrong declared fingerprint is refused, and the store is unchanged', async () => {
    const home = join(work, 'bad-fp');
    const store = new Store({home});
    assert.equal(await codeOf(importImage(store, [streamSource(bytes)], {fingerprint: wrong})), 'FingerprintMismatch');
    await assertEmpty(store, home);
  });

  test('fewer or more bytes than declared are refused (more: as soon as they pass the size)', async () => {
    const home = join(work, 'bad-size');
    const store = new Store({home});
    assert.equal(await codeOf(importImage(store, [streamSource(bytes, 'x.tar', {size: bytes.length + 1})])), 'SizeMismatch');
    assert.equal(await codeOf(importImage(store, [streamSource(bytes, 'x.tar', {size: bytes.length - 1})])), 'SizeMismatch');
    await assertEmpty(store, home);
  });

  test('split: each file is checked against its own declared sha256', async () => {
    const home = join(work, 'split');
    const store = new Store({home});
    const meta = tarBytes([['metadata.yaml', GOOD_META]]);
    const root = tarBytes([
      ['etc/', ''],
      ['etc/hostname', 'split\n'],
    ]);
    const rootWrong = streamSource(root, 'root.tar', {sha256: wrong});
    assert.equal(await codeOf(importImage(store, [streamSource(meta, 'meta.tar', {sha256: sha256(meta)}), rootWrong])), 'HashMismatch');
    await assertEmpty(store, home);
    const v = await importImage(store, [streamSource(meta, 'meta.tar', {sha256: sha256(meta)}), streamSource(root, 'root.tar', {sha256: sha256(root)})]);
    assert.equal(v.files.find((f) => f.role === 'rootfs')!.sha256, sha256(root), 'a declared rootfs digest is verified and kept');
  });

  test('a declared fingerprint already stored is refused before anything is read', async () => {
    const store = new Store({home: join(work, 'dup')});
    await importImage(store, [streamSource(bytes)]);
    let read = false;
    const never = Readable.from(
      (async function* () {
        read = true;
        yield bytes;
      })(),
    );
    assert.equal(await codeOf(importImage(store, [{stream: never, name: 'again.tar'}], {fingerprint: right})), 'ImageExists');
    assert.equal(read, false);
  });
});
