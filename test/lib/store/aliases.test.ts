// src/lib/store/aliases.ts and alias-table.ts: alias operations and the one "alias taken" rule.
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {createAlias, deleteAlias, listAliases, renameAlias} from '../../../src/lib/store/aliases.js';
import {importImage} from '../../../src/lib/store/import.js';
import {resolveImage} from '../../../src/lib/store/resolve.js';
import {Store} from '../../../src/lib/store/store.js';
import {codeOf, streamSource, tinyImage} from '../../helpers/store.js';
import {tempDir} from '../../helpers/tmp.js';

describe('aliases', () => {
  test('alias names: empty, ":" and control characters are refused', async () => {
    const store = new Store({home: join(tempDir(), 'g')});
    const v = await importImage(store, [streamSource(tinyImage('names'))]);
    for (const bad of ['', 'a:b', 'tab\there', ' lead'])
      assert.equal(await codeOf(createAlias(store, bad, v.fingerprint)), 'InvalidAlias', JSON.stringify(bad));
    await createAlias(store, 'ubuntu/22.04', v.fingerprint);
    assert.equal((await resolveImage(store, 'ubuntu/22.04')).fingerprint, v.fingerprint);
  });

  test('create, rename, delete, list; taken and missing names', async () => {
    const store = new Store({home: join(tempDir(), 'ops')});
    const a = await importImage(store, [streamSource(tinyImage('a'))], {aliases: ['a']});
    const b = await importImage(store, [streamSource(tinyImage('b'))]);
    assert.equal(await codeOf(createAlias(store, 'a', b.fingerprint)), 'AliasExists');
    assert.equal(await codeOf(createAlias(store, 'x', 'a')), 'ImageNotFound', 'the target is a fingerprint, not an alias');
    const entry = await createAlias(store, 'bee', b.fingerprint.slice(0, 10), 'the b one');
    assert.deepEqual(entry, {name: 'bee', target: b.fingerprint, description: 'the b one'});
    assert.equal(await codeOf(renameAlias(store, 'bee', 'a')), 'AliasExists');
    assert.equal(await codeOf(renameAlias(store, 'nope', 'z')), 'AliasNotFound');
    await renameAlias(store, 'bee', 'b');
    assert.deepEqual(await listAliases(store), [
      {name: 'a', target: a.fingerprint, description: '', type: 'container'},
      {name: 'b', target: b.fingerprint, description: 'the b one', type: 'container'},
    ]);
    await deleteAlias(store, 'b');
    assert.equal(await codeOf(deleteAlias(store, 'b')), 'AliasNotFound');
  });

  test('an alias of a deleted image is stale: not listed, not taken, not found', async () => {
    const store = new Store({home: join(tempDir(), 'stale')});
    const a = await importImage(store, [streamSource(tinyImage('a'))]);
    const b = await importImage(store, [streamSource(tinyImage('b'))]);
    await createAlias(store, 'gone', a.fingerprint);
    // Simulate an alias table that outlived its image (a crash between the two renames of a delete).
    const table = await store.aliases();
    await store.deleteImage(a.fingerprint);
    await store.locked(() => store.saveAliases(table));
    assert.deepEqual(await listAliases(store), []);
    assert.equal(await codeOf(deleteAlias(store, 'gone')), 'AliasNotFound');
    await createAlias(store, 'gone', b.fingerprint);
    assert.equal((await resolveImage(store, 'gone')).fingerprint, b.fingerprint);
  });
});
