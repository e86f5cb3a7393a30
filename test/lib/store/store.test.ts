// src/lib/store/store.ts: the store's layout, commit, record updates and deletes.
import assert from 'node:assert/strict';
import {existsSync, readdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {importImage} from '../../../src/lib/store/import.js';
import {listAliases} from '../../../src/lib/store/aliases.js';
import {Store} from '../../../src/lib/store/store.js';
import {codeOf, streamSource, tinyImage} from '../../helpers/store.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();

describe('Store', () => {
  test('commit: a duplicate is refused, or kept (publish) with its aliases re-pointed', async () => {
    const store = new Store({home: join(work, 'c')});
    const first = await importImage(store, [streamSource(tinyImage('dup'))], {aliases: ['keep']});
    const other = await importImage(store, [streamSource(tinyImage('other'))], {aliases: ['moving']});
    assert.equal(await codeOf(importImage(store, [streamSource(tinyImage('dup'))])), 'ImageExists');
    const third = await importImage(store, [streamSource(tinyImage('third'))], {aliases: ['taken']});
    const fourth = await importImage(store, [streamSource(tinyImage('fourth'))], {aliases: ['taken']});
    assert.deepEqual((await store.view(third.fingerprint))!.aliases, [], 'as lxc image import, an existing alias moves to the new image');
    assert.deepEqual(
      fourth.aliases.map((a) => a.name),
      ['taken'],
    );
    const work2 = await store.createWork('test');
    writeFileSync(join(work2.path, 'unified'), tinyImage('dup'));
    const record = (await store.readRecord(first.fingerprint))!;
    const {existed, view} = await store.commit(work2, record, {aliases: ['moving'], ifExists: 'keep'});
    await work2.dispose();
    assert.equal(existed, true);
    assert.deepEqual(
      view.aliases.map((a) => a.name),
      ['keep', 'moving'],
    );
    assert.deepEqual((await store.view(other.fingerprint))!.aliases, []);
  });

  test('updateRecord writes atomically and may not change the fingerprint', async () => {
    const store = new Store({home: join(work, 'd')});
    const v = await importImage(store, [streamSource(tinyImage('upd'))]);
    const next = await store.updateRecord(v.fingerprint, (r) => ({...r, public: true}));
    assert.equal(next.public, true);
    assert.equal((await store.readRecord(v.fingerprint))!.public, true);
    await assert.rejects(store.updateRecord(v.fingerprint, (r) => ({...r, fingerprint: '0'.repeat(64)})));
    assert.equal(await codeOf(store.updateRecord('f'.repeat(64), (r) => r)), 'ImageNotFound');
    assert.deepEqual(readdirSync(join(work, 'd', 'images', v.fingerprint)).sort(), ['image.json', 'unified'], 'no temporary files left');
  });

  test('deleteImage removes the directory and every alias of the image', async () => {
    const store = new Store({home: join(work, 'e')});
    const v = await importImage(store, [streamSource(tinyImage('del'))], {aliases: ['d1', 'd2']});
    await store.deleteImage(v.fingerprint);
    assert.equal(existsSync(join(work, 'e', 'images', v.fingerprint)), false);
    assert.deepEqual(await listAliases(store), []);
    assert.equal(await codeOf(store.deleteImage(v.fingerprint)), 'ImageNotFound');
  });

  test('a damaged record or alias table is StoreDamaged, not a crash', async () => {
    const home = join(work, 'damaged');
    const store = new Store({home});
    const v = await importImage(store, [streamSource(tinyImage('damaged'))], {aliases: ['d']});
    writeFileSync(join(home, 'aliases.json'), '{not json');
    assert.equal(await codeOf(store.list()), 'StoreDamaged');
    writeFileSync(join(home, 'aliases.json'), '{}');
    writeFileSync(join(home, 'images', v.fingerprint, 'image.json'), '');
    assert.equal(await codeOf(store.readRecord(v.fingerprint)), 'StoreDamaged');
  });

  test('readChunks and readStream give a stored file back from any offset', async () => {
    const store = new Store({home: join(work, 'read')});
    const bytes = tinyImage('read');
    const v = await importImage(store, [streamSource(bytes)]);
    const parts: Buffer[] = [];
    for await (const c of store.readChunks(v.fingerprint, 'unified', {start: 100, chunkSize: 64})) parts.push(Buffer.from(c));
    assert.ok(Buffer.concat(parts).equals(bytes.subarray(100)));
    const streamed: Buffer[] = [];
    for await (const c of store.readStream(v.fingerprint, 'unified', {start: 7})) streamed.push(c as Buffer);
    assert.ok(Buffer.concat(streamed).equals(bytes.subarray(7)));
  });

  test('two stores of different homes in one process do not wait for each other', async () => {
    const a = new Store({home: join(work, 'home-a')});
    const b = new Store({home: join(work, 'home-b')});
    let inner = false;
    // Holding a's lock, b's lock is taken at once (one queue per home, not one per process).
    await a.locked(async () => {
      await b.locked(async () => {
        inner = true;
      });
    });
    assert.equal(inner, true);
  });
});
