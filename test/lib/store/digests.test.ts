// src/lib/store/digests.ts: sha1, md5 (and a split rootfs's sha256) computed on first use and kept.
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {ensureDigests} from '../../../src/lib/store/digests.js';
import {importImage} from '../../../src/lib/store/import.js';
import {Store} from '../../../src/lib/store/store.js';
import {GOOD_META} from '../../helpers/hostile.js';
import {streamSource} from '../../helpers/store.js';
import {tarBytes} from '../../helpers/tar-bytes.js';
import {tempDir} from '../../helpers/tmp.js';

describe('digests on first use', () => {
  test("ensureDigests computes sha1, md5 (and a split rootfs's sha256) once, in one read, and keeps them", async () => {
    const {createHash} = await import('node:crypto');
    const store = new Store({home: join(tempDir(), 'digests')});
    const meta = tarBytes([['metadata.yaml', GOOD_META]]);
    const root = tarBytes([
      ['etc/', ''],
      ['etc/hostname', 'split\n'],
    ]);
    const v = await importImage(store, [streamSource(meta, 'meta.tar'), streamSource(root, 'root.tar')]);
    assert.equal(v.files.find((f) => f.role === 'rootfs')!.sha256, undefined, "import computes only the fingerprint and the small metadata file's own sha256");
    assert.equal(v.files[0]!.sha1, undefined);
    let read = 0;
    const after = await ensureDigests(store, v.fingerprint, (n) => (read += n));
    assert.equal(read, meta.length + root.length, 'each file read once, computing every missing digest in the same pass');
    const h = (algo: string, b: Buffer) => createHash(algo).update(b).digest('hex');
    const [m, r] = [after.files.find((f) => f.role === 'metadata')!, after.files.find((f) => f.role === 'rootfs')!];
    assert.deepEqual([m.sha256, m.sha1, m.md5], [h('sha256', meta), h('sha1', meta), h('md5', meta)]);
    assert.deepEqual([r.sha256, r.sha1, r.md5], [h('sha256', root), h('sha1', root), h('md5', root)]);
    assert.deepEqual((await store.readRecord(v.fingerprint))!.files, after.files, 'kept in the record');
    read = 0;
    await ensureDigests(store, v.fingerprint, (n) => (read += n));
    assert.equal(read, 0, 'the second use reads nothing');
  });
});
