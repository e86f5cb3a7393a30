// src/lib/remotes/local.ts: the local store as a Source; a file opened from it imports as a verified download.
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {LocalSource} from '../../../src/lib/remotes/local.js';
import {importImage} from '../../../src/lib/store/import.js';
import {Store} from '../../../src/lib/store/store.js';
import {GOOD_META} from '../../helpers/hostile.js';
import {codeOf, streamSource, tinyImage} from '../../helpers/store.js';
import {tarBytes} from '../../helpers/tar-bytes.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();

describe('LocalSource', () => {
  test('list, aliases, resolve, info', async () => {
    const store = new Store({home: join(work, 'a')});
    const v = await importImage(store, [streamSource(tinyImage('a'))], {aliases: ['a']});
    const source = new LocalSource(store);
    assert.equal(source.protocol, 'local');
    assert.equal(source.remote, 'local');
    assert.deepEqual(
      (await source.list()).map((i) => i.fingerprint),
      [v.fingerprint],
    );
    assert.deepEqual(await source.aliases(), [{name: 'a', target: v.fingerprint, description: '', type: 'container'}]);
    assert.equal((await source.resolve('a')).fingerprint, v.fingerprint);
    assert.equal((await source.resolve(v.fingerprint.slice(0, 8), {architecture: 'x86_64', type: 'container'})).fingerprint, v.fingerprint);
    assert.equal(await codeOf(source.resolve('a', {type: 'virtual-machine'})), 'ImageNotFound');
    assert.equal(await codeOf(source.resolve('a', {architecture: 'aarch64'})), 'ImageNotFound');
    assert.deepEqual((await source.info(v.fingerprint)).aliases, [{name: 'a', description: ''}]);
    assert.equal(await codeOf(source.info('0'.repeat(64))), 'ImageNotFound');
  });

  test('open gives each file with its size and sha256: copying from one store to another is an import that verifies itself', async () => {
    const from = new Store({home: join(work, 'from')});
    const meta = tarBytes([['metadata.yaml', GOOD_META]]);
    const root = tarBytes([
      ['etc/', ''],
      ['etc/hostname', 'split\n'],
    ]);
    const v = await importImage(from, [streamSource(meta, 'meta.tar'), streamSource(root, 'root.tar')]);
    const source = new LocalSource(from);
    const files = await Promise.all(v.files.map((f) => source.open(v, f.role)));
    assert.deepEqual(
      files.map((f) => [f.name, f.size, f.sha256 !== undefined]),
      [
        [`meta-${v.fingerprint}.tar`, meta.length, true],
        [`${v.fingerprint}.tar`, root.length, false],
      ],
    );
    const to = new Store({home: join(work, 'to')});
    const copied = await importImage(to, files, {fingerprint: v.fingerprint});
    assert.equal(copied.fingerprint, v.fingerprint);
    assert.equal(await codeOf(source.open(v, 'unified')), 'ImageNotFound');
  });
});

describe('LocalSource.download', () => {
  test("gives the stored files in place, with what they must be: another store imports them verified, and the source's files stay", async () => {
    const from = new Store({home: join(work, 'dl-from')});
    const v = await importImage(from, [streamSource(tinyImage('dl'))]);
    const sources = await new LocalSource(from).download(v);
    assert.deepEqual(sources, [{path: from.filePath(v.fingerprint, 'unified'), size: v.size, sha256: v.fingerprint}]);
    const to = new Store({home: join(work, 'dl-to')});
    assert.equal((await importImage(to, sources, {fingerprint: v.fingerprint})).fingerprint, v.fingerprint);
    assert.ok(await from.exists(v.fingerprint));
  });
});
