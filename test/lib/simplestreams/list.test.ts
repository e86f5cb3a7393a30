import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {feedRows} from '../../../src/lib/simplestreams/list.js';
import {treeFeed} from '../../../src/lib/simplestreams/read-feed.js';
import {readTree} from '../../../src/lib/simplestreams/tree.js';
import {LocalDirBlobStore} from '../../../src/lib/storage/index.js';
import {tempDir} from '../../helpers/tmp.js';
import {minimalExample, realFeedTree, syntheticTree} from './synthetic-tree.js';

async function rowsOf(dir: string) {
  return feedRows(treeFeed(await readTree(new LocalDirBlobStore(dir)), dir));
}

describe('simplestreams list: one row per version, whatever the datatype', () => {
  it('an LXD tree: items by ftype, size of the files they name', async () => {
    const dir = tempDir();
    syntheticTree(dir, [{os: 'Alpine', release: '3.19', arch: 'amd64', versions: ['20240101_0000', '20240102_0000']}]);
    const rows = await rowsOf(dir);
    assert.deepEqual(
      rows.map((r) => [r.product, r.version, r.contentId, r.datatype, r.items.join(','), r.files]),
      [
        ['alpine:3.19:amd64:default', '20240101_0000', 'images', 'image-downloads', 'lxd.tar.xz,squashfs', 2],
        ['alpine:3.19:amd64:default', '20240102_0000', 'images', 'image-downloads', 'lxd.tar.xz,squashfs', 2],
      ],
    );
    assert.ok(rows.every((r) => r.size > 100));
  });

  it("python simplestreams' minimal example", async () => {
    const dir = tempDir();
    minimalExample(dir);
    const rows = await rowsOf(dir);
    assert.deepEqual(rows, [
      {
        product: 'com.example:product1',
        version: '20150915',
        contentId: 'com.example:download',
        datatype: 'image-downloads',
        items: ['root.img', 'text'],
        size: 76,
        files: 2,
      },
    ]);
  });

  it('an OpenStack image-ids stream: items without files, named by their keys', async () => {
    const dir = tempDir();
    realFeedTree(dir, 'eumel8-image-ids');
    const rows = await rowsOf(dir);
    assert.ok(rows.length >= 2);
    assert.ok(rows.every((r) => r.datatype === 'image-ids' && r.files === 0 && r.size === 0 && r.items.length > 0));
    assert.ok(rows.some((r) => r.product === 'com.ubuntu.cloud:server:16.04:amd64' && r.version === '16.04-LTS'));
  });

  it('several products files (cirros released and devel) and an Incus feed', async () => {
    const cirros = tempDir();
    realFeedTree(cirros, 'cirros');
    const rows = await rowsOf(cirros);
    assert.deepEqual([...new Set(rows.map((r) => r.contentId))].sort(), ['net.cirros-cloud:devel:download', 'net.cirros-cloud:released:download']);
    const incus = tempDir();
    realFeedTree(incus, 'kriszos-incus-feed');
    const irows = await rowsOf(incus);
    assert.ok(irows.length > 10);
    assert.ok(irows.some((r) => r.items.includes('incus.tar.xz') && r.items.includes('disk-kvm.img')));
  });
});
