// src/lib/store/verify.ts: re-hashing stored files, and reading archives to their end with --deep.
import assert from 'node:assert/strict';
import {readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {gzipSync} from 'node:zlib';
import {importImage} from '../../../src/lib/store/import.js';
import {Store} from '../../../src/lib/store/store.js';
import {verifyImage} from '../../../src/lib/store/verify.js';
import {GOOD_META} from '../../helpers/hostile.js';
import {streamSource, tinyImage} from '../../helpers/store.js';
import {tarBytes} from '../../helpers/tar-bytes.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();
const split = async (store: Store) =>
  importImage(store, [
    streamSource(tarBytes([['metadata.yaml', GOOD_META]]), 'm.tar'),
    streamSource(
      tarBytes([
        ['etc/', ''],
        ['etc/hostname', 'x\n'],
      ]),
      'r.tar',
    ),
  ]);

describe('verifyImage', () => {
  test('a sound image is ok, with progress for every byte', async () => {
    const store = new Store({home: join(work, 'ok')});
    const v = await importImage(store, [streamSource(tinyImage('ok'))]);
    let n = 0;
    assert.deepEqual(await verifyImage(store, v, {deep: true, onProgress: (b) => (n += b)}), {fingerprint: v.fingerprint, ok: true, problems: []});
    assert.equal(n, v.size);
  });

  test("a missing file is reported as missing, in the record's file order, and the others are still checked", async () => {
    const store = new Store({home: join(work, 'missing')});
    const v = await split(store);
    rmSync(store.filePath(v.fingerprint, 'rootfs'));
    writeFileSync(store.filePath(v.fingerprint, 'metadata'), 'changed');
    const r = await verifyImage(store, v);
    assert.equal(r.ok, false);
    assert.deepEqual(
      r.problems.map((p) => [p.file, p.kind]),
      [
        ['metadata', 'mismatch'],
        ['rootfs', 'missing'],
      ],
    );
  });

  test('a changed split rootfs (whose own digest the record lacks) is found through the fingerprint', async () => {
    const store = new Store({home: join(work, 'rootfs')});
    const v = await split(store);
    const path = store.filePath(v.fingerprint, 'rootfs');
    const bytes = readFileSync(path);
    bytes.writeUInt8(bytes.readUInt8(600) ^ 0xff, 600);
    writeFileSync(path, bytes);
    const r = await verifyImage(store, v);
    assert.deepEqual(
      r.problems.map((p) => [p.file, p.kind, p.expected]),
      [['rootfs', 'mismatch', v.fingerprint]],
    );
  });

  test('--deep: a tarball damaged past what import reads is corrupt; the hash alone cannot tell', async () => {
    const store = new Store({home: join(work, 'deep')});
    const gz = gzipSync(tinyImage('deep'));
    const v = await importImage(store, [streamSource(gz.subarray(0, gz.length - 10), 'cut.tar.gz')]);
    assert.equal((await verifyImage(store, v)).ok, true);
    const deep = await verifyImage(store, v, {deep: true});
    assert.equal(deep.ok, false);
    assert.equal(deep.problems[0]!.kind, 'corrupt');
    assert.match(deep.problems[0]!.detail!, /^gzip: /);
  });
});
