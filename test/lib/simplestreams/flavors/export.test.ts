import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync, mkdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {before, describe, it} from 'node:test';
import {addImage, removeImage} from '../../../../src/lib/simplestreams/edit.js';
import {exportStore, type TreeResult} from '../../../../src/lib/simplestreams/from-store.js';
import {treeItems} from '../../../../src/lib/simplestreams/tree.js';
import {LocalDirBlobStore} from '../../../../src/lib/storage/index.js';
import {importImage} from '../../../../src/lib/store/import.js';
import {Store} from '../../../../src/lib/store/store.js';
import {emptyQcow2} from '../../../helpers/feed-tree.js';
import {makeRootfs, tar} from '../../../helpers/images.js';
import {sampleFiles} from '../../../helpers/sample-store.js';
import {codeOf} from '../../../helpers/store.js';
import {tempDir} from '../../../helpers/tmp.js';
import {CUSTOM_OS_XINSTALL, glanceUploads, maasImport, mirroredItems} from './consumers.js';

type Obj = Record<string, unknown>;
const FLAVORS = ['lxd', 'openstack', 'maas'];
const digest = (algo: string, path: string): string => createHash(algo).update(readFileSync(path)).digest('hex');

/** A metadata tarball (GNU tar, xz) for a split image of this type and these properties. */
function metadataTarball(dir: string, properties: Record<string, string>): string {
  mkdirSync(dir, {recursive: true});
  const props = Object.entries(properties).map(([k, v]) => `  ${k}: "${v}"`);
  writeFileSync(join(dir, 'metadata.yaml'), ['architecture: x86_64', 'creation_date: 1709280000', 'properties:', ...props, ''].join('\n'));
  tar(['-cJf', join(dir, 'meta.tar.xz'), '-C', dir, 'metadata.yaml']);
  return join(dir, 'meta.tar.xz');
}

describe('export of one store in the lxd, openstack and maas flavours', () => {
  let dir: string;
  let result: TreeResult<{fingerprint: string}>;
  const fps: Record<string, string> = {};
  const json = (path: string): Obj => JSON.parse(readFileSync(join(dir, path), 'utf8')) as Obj;

  before(async () => {
    const work = tempDir();
    const store = new Store({home: join(work, 'home')});
    const vmMeta = metadataTarball(join(work, 'vm'), {os: 'Ubuntu', release: 'jammy', version: '22.04', serial: '20240301'});
    writeFileSync(join(work, 'vm', 'disk.qcow2'), emptyQcow2(64 << 20));
    const ids = {
      'openstack.image_id': 'c0ffee00-0000-4000-8000-000000000001',
      'openstack.region': 'RegionOne',
      'openstack.endpoint': 'https://keystone.test:5000/v3',
    };
    fps.vm = (
      await importImage(store, [{path: vmMeta}, {path: join(work, 'vm', 'disk.qcow2')}], {public: true, aliases: ['jammy-vm'], properties: ids})
    ).fingerprint;
    const ctMeta = metadataTarball(join(work, 'ct'), {os: 'Debian', release: 'bookworm', serial: '20240302'});
    tar(['-cJf', join(work, 'ct', 'root.tar.xz'), '-C', makeRootfs(join(work, 'ct', 'rootfs'), 'debian'), '.']);
    fps.tarball = (await importImage(store, [{path: ctMeta}, {path: join(work, 'ct', 'root.tar.xz')}], {public: true, aliases: ['deb']})).fingerprint;
    const sample = sampleFiles(join(work, 'sample'));
    fps.squashfs = (await importImage(store, [{path: sample.meta}, {path: sample.root}], {public: true})).fingerprint;
    fps.unified = (await importImage(store, [{path: sample.unified}], {public: true, properties: {os: 'Tinyos', release: '1.0'}})).fingerprint;
    dir = join(work, 'tree');
    result = await exportStore(store, new LocalDirBlobStore(dir), {flavors: FLAVORS});
  });

  it('writes one index naming every document of the three flavours', () => {
    const index = json('streams/v1/index.json');
    const entries = index.index as Record<string, {datatype: string; path: string; products: string[]}>;
    assert.deepEqual(Object.keys(entries).sort(), [
      'images',
      'img.maas:stable:custom-download',
      'img.openstack:released:download',
      'img.openstack:released:image-ids',
    ]);
    assert.equal(entries['img.openstack:released:download']!.datatype, 'image-downloads');
    assert.equal(entries['img.openstack:released:image-ids']!.datatype, 'image-ids');
    for (const e of Object.values(entries)) assert.deepEqual(Object.keys(json(e.path).products as Obj).sort(), e.products);
  });

  it('holds every file an item names, with the size, sha256 and md5 the item claims', () => {
    let checked = 0;
    for (const e of Object.values(json('streams/v1/index.json').index as Record<string, {path: string}>)) {
      for (const item of treeItems(json(e.path))) {
        const path = join(dir, item.path);
        assert.equal(statSync(path).size, item.size, item.path);
        assert.equal(digest('sha256', path), item.sha256, item.path);
        if (item.md5 !== undefined) assert.equal(digest('md5', path), item.md5, item.path);
        checked++;
      }
    }
    assert.ok(checked >= 8, `${checked} items`);
  });

  it('reports what each flavour refused, with its reason', () => {
    const refused = result.refused.map(
      (r) =>
        `${r.flavor} ${r.fingerprint === fps.vm ? 'vm' : r.fingerprint === fps.tarball ? 'tarball' : r.fingerprint === fps.squashfs ? 'squashfs' : 'unified'}`,
    );
    assert.deepEqual(refused.sort(), ['maas squashfs', 'maas unified', 'maas vm', 'openstack squashfs', 'openstack tarball', 'openstack unified']);
    assert.ok(result.refused.every((r) => r.reason.length > 20));
  });

  it('glance uploads the VM disk as qcow2 and its md5 matches the bytes it downloads', () => {
    const index = json('streams/v1/index.json');
    const docs = new Map(Object.values(index.index as Record<string, {path: string}>).map((e) => [e.path, json(e.path)]));
    const [upload, ...more] = glanceUploads(index, docs, {max: 1});
    assert.deepEqual(more, []);
    assert.equal(upload!.disk_format, 'qcow2');
    assert.equal(upload!.checksum, digest('md5', join(dir, upload!.path)));
    assert.equal(upload!.size, statSync(join(dir, upload!.path)).size);
    assert.equal(upload!.properties.os_distro, 'ubuntu');
    assert.equal(upload!.properties.architecture, 'x86_64');
    assert.match(readFileSync(join(dir, upload!.path)).subarray(0, 4).toString('latin1'), /^QFI\xfb$/);
    const [ids] = mirroredItems(json('streams/v1/img.openstack:released:image-ids.json'));
    assert.equal(ids!.flat.id, 'c0ffee00-0000-4000-8000-000000000001');
    assert.equal(ids!.flat.product_name, upload!.properties.product_name);
  });

  it('MAAS syncs the root tarball as custom/debian-bookworm, by the file name it deploys from', () => {
    const {files, ignored} = maasImport(json('streams/v1/img.maas:stable:custom-download.json'));
    assert.deepEqual(ignored, []);
    assert.equal(files.length, 1);
    const [f] = files as [(typeof files)[number]];
    assert.equal(f.resource, 'custom/debian-bookworm');
    assert.equal(f.architecture, 'amd64/generic');
    assert.equal(CUSTOM_OS_XINSTALL[f.filename], 'txz');
    // The bytes are the LXD item's root tarball, an xz stream.
    const lxd = treeItems(json('streams/v1/images.json')).find((i) => i.sha256 === f.sha256);
    assert.ok(lxd && lxd.path !== f.path);
    assert.equal(readFileSync(join(dir, f.path)).subarray(0, 6).toString('latin1'), '\xfd7zXZ\x00');
    execFileSync('tar', ['-tJf', join(dir, f.path)], {stdio: 'ignore'});
  });

  it('re-exporting the unchanged store changes nothing', async () => {
    const store = new Store({home: join(dir, '..', 'home')});
    const again = await exportStore(store, new LocalDirBlobStore(dir), {flavors: FLAVORS});
    assert.deepEqual(again.change.written, []);
    assert.deepEqual(again.change.removed, []);
  });
});

describe('add and remove on a tree holding the OpenStack and MAAS flavours', () => {
  it('adds each image in the flavours asked for, refuses one a flavour cannot express, and removes every item of an image', async () => {
    const work = tempDir();
    const blobs = new LocalDirBlobStore(join(work, 'tree'));
    const json = (path: string): Obj => JSON.parse(readFileSync(join(work, 'tree', path), 'utf8')) as Obj;
    const ctMeta = metadataTarball(join(work, 'ct'), {os: 'Debian', release: 'bookworm', serial: '20240302'});
    const root = join(work, 'ct', 'root.tar.gz');
    tar(['-czf', root, '-C', makeRootfs(join(work, 'ct', 'rootfs'), 'debian'), '.']);
    assert.equal(await codeOf(addImage(blobs, [ctMeta, root], {flavors: FLAVORS})), 'NotExpressible');
    const ct = (await addImage(blobs, [ctMeta, root], {flavors: ['lxd', 'maas']})).images[0]!;
    const vmMeta = metadataTarball(join(work, 'vm'), {
      os: 'Ubuntu',
      release: 'jammy',
      serial: '20240301',
      'openstack.image_id': 'i-1',
      'openstack.region': 'r',
      'openstack.endpoint': 'https://e',
    });
    writeFileSync(join(work, 'vm', 'disk.qcow2'), emptyQcow2(64 << 20));
    const vm = (await addImage(blobs, [vmMeta, join(work, 'vm', 'disk.qcow2')], {flavors: ['lxd', 'openstack']})).images[0]!;
    const maasDoc = 'streams/v1/img.maas:stable:custom-download.json';
    const [f] = maasImport(json(maasDoc)).files;
    assert.equal(f!.filename, 'root-tgz');
    assert.ok(existsSync(join(work, 'tree', f!.path)));
    assert.equal(mirroredItems(json('streams/v1/img.openstack:released:image-ids.json'))[0]!.flat.id, 'i-1');
    await removeImage(blobs, ct.fingerprint);
    assert.deepEqual(json(maasDoc).products, {});
    assert.ok(!existsSync(join(work, 'tree', f!.path)));
    await removeImage(blobs, vm.fingerprint);
    assert.deepEqual(json('streams/v1/img.openstack:released:download.json').products, {});
    assert.deepEqual(json('streams/v1/img.openstack:released:image-ids.json').products, {});
  });
});
