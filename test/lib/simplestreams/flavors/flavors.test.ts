import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, it} from 'node:test';
import {FLAVORS, documentText} from '../../../../src/lib/simplestreams/render.js';
import {treeItems} from '../../../../src/lib/simplestreams/tree.js';
import {CHARM_ITEM_FILTERS, CUSTOM_OS_XINSTALL, glanceUploads, maasImport, mirroredItems} from './consumers.js';
import {FIXED_VIEWS, fixedFeed, fixtureName} from './fixed-input.js';

type Obj = Record<string, unknown>;
const FIXTURES = join(import.meta.dirname, '../../../fixtures/simplestreams/flavors');
const fixture = (name: string): string => readFileSync(join(FIXTURES, name), 'utf8');
const feed = fixedFeed();
const docs = new Map(feed.documents.map((d) => [d.path, d.doc]));
const doc = (path: string): Obj => {
  const d = docs.get(path);
  assert.ok(d, `no document ${path}`);
  return d;
};
const DOWNLOAD = 'streams/v1/img.openstack:released:download.json';
const IMAGE_IDS = 'streams/v1/img.openstack:released:image-ids.json';
const MAAS = 'streams/v1/img.maas:stable:custom-download.json';
const fp = (c: string): string => c.repeat(64);

describe('flavour fixtures', () => {
  it('each products document and the index are byte for byte the committed fixture (regenerate: scripts/regen-flavor-fixtures.ts)', () => {
    assert.deepEqual(feed.documents.map((d) => d.path).sort(), ['streams/v1/images.json', DOWNLOAD, IMAGE_IDS, MAAS].sort());
    for (const d of feed.documents) assert.equal(documentText(d.doc), fixture(fixtureName(d.path)), d.path);
    assert.equal(documentText(feed.index), fixture('index.json'));
  });

  it('refuses, per flavour, exactly what it cannot express, saying why', () => {
    const by = (flavor: string) => new Map(feed.refused.filter((r) => r.flavor === flavor).map((r) => [r.fingerprint, r.reason]));
    assert.deepEqual([...by('lxd').keys()], []);
    const openstack = by('openstack');
    assert.deepEqual([...openstack.keys()].sort(), [fp('0'), fp('3'), fp('4'), fp('6'), fp('9'), fp('ab').slice(0, 64)].sort());
    assert.match(openstack.get(fp('3'))!, /container with a squashfs root has no disk image/);
    assert.match(openstack.get(fp('9'))!, /unified image/);
    assert.match(
      openstack.get(fp('ab').slice(0, 64))!,
      /need all of openstack\.image_id, openstack\.region, openstack\.endpoint; it has only openstack\.image_id/,
    );
    const maas = by('maas');
    assert.deepEqual([...maas.keys()].sort(), [fp('0'), fp('1'), fp('2'), fp('3'), fp('9'), fp('ab').slice(0, 64)].sort());
    assert.match(maas.get(fp('0'))!, /no root tarball ftype for zstd/);
    assert.match(maas.get(fp('1'))!, /cannot take a qcow2 disk/);
    assert.match(maas.get(fp('3'))!, /squashfs root only as an Ubuntu image/);
    assert.equal(FIXED_VIEWS.length, 8);
  });

  it('says in --help what each flavour writes and what it cannot express', () => {
    assert.deepEqual([...FLAVORS.keys()], ['lxd', 'openstack', 'maas']);
    assert.match(FLAVORS.get('openstack')!.summary, /^openstack: .*disk1\.img.*md5.*image-ids.*cannot be expressed/);
    assert.match(FLAVORS.get('maas')!.summary, /^maas: .*root-tgz.*cannot be expressed/);
    assert.equal(FLAVORS.get('openstack')!.needsMd5, true);
  });
});

describe('glance-simplestreams-sync reading the OpenStack documents', () => {
  it('uploads the newest disk of each product (--max 1), with the md5, size, name and properties glance checks and sets', () => {
    const uploads = glanceUploads(feed.index, docs, {max: 1});
    assert.deepEqual(uploads, [
      {
        name: 'ubuntu-jammy-amd64-cloud-20240301-disk1.img',
        disk_format: 'qcow2',
        checksum: 'd'.repeat(32),
        size: 3_100_000,
        properties: {
          source_content_id: 'img.openstack:released:download',
          product_name: 'img.openstack:ubuntu:jammy:amd64:cloud',
          version_name: '20240301',
          item_name: 'disk1.img',
          os_distro: 'ubuntu',
          os_version: '22.04',
          architecture: 'x86_64',
        },
        // The same file as the LXD products' disk-kvm.img item.
        path: treeItems(doc('streams/v1/images.json')).find((i) => i.sha256 === 'd'.repeat(64))!.path,
        sha256: 'd'.repeat(64),
      },
    ]);
  });

  it("passes the charm's default filters too, and finds nothing to upload in the LXD or MAAS documents", () => {
    const all = glanceUploads(feed.index, docs, {itemFilters: CHARM_ITEM_FILTERS});
    assert.deepEqual(
      all.map((u) => u.properties.version_name),
      ['20240301', '20240201'],
    );
    assert.ok(all.every((u) => u.properties.source_content_id === 'img.openstack:released:download'));
  });

  it('every item glance can download has the size and a checksum the mirror reader requires', () => {
    for (const {flat} of mirroredItems(doc(DOWNLOAD))) {
      assert.match(flat.sha256 ?? '', /^[0-9a-f]{64}$/);
      assert.match(flat.md5 ?? '', /^[0-9a-f]{32}$/);
      assert.ok(Number(flat.size) > 0);
      assert.equal(flat.ftype, 'disk1.img');
    }
  });
});

describe('Juju and glance reading the image-ids document', () => {
  it('holds the cloud id, region and endpoint on the item, no path, under the download product names', () => {
    const items = mirroredItems(doc(IMAGE_IDS));
    assert.equal(items.length, 1);
    const [{flat, raw}] = items as [(typeof items)[number]];
    assert.equal(flat.id, '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0');
    assert.equal(raw.region, 'RegionOne');
    assert.equal(raw.endpoint, 'https://keystone.example.org:5000/v3');
    assert.equal(flat.virt, 'kvm');
    assert.equal(flat.crsn, 'example-RegionOne');
    assert.equal(flat.arch, 'amd64');
    assert.equal(flat.version, '22.04');
    assert.equal(raw.path, undefined);
    assert.ok((doc(DOWNLOAD).products as Obj)[flat.product_name!]);
    assert.deepEqual(treeItems(doc(IMAGE_IDS)), [], 'the tree writer has no file to place for it');
  });
});

describe('MAAS reading the MAAS document', () => {
  it('syncs each root tarball as a custom resource it can deploy, found by its file name', () => {
    const {files, ignored} = maasImport(doc(MAAS));
    assert.deepEqual(ignored, []);
    // The root sits under its sha256, beside where the LXD products keep the same bytes.
    const lxdPaths = new Map(treeItems(doc('streams/v1/images.json')).map((i) => [i.sha256, i.path]));
    for (const f of files) assert.equal(f.path, `${lxdPaths.get(f.sha256)!.replace(/[^/]+$/, '')}${f.sha256}/${f.filename}`);
    const got = files.map(({path: _, ...f}) => ({...f, xinstall: CUSTOM_OS_XINSTALL[f.filename]}));
    assert.deepEqual(got, [
      {
        resource: 'custom/alpine-3.19-tiny',
        architecture: 'amd64/generic',
        kflavor: 'generic',
        version: '20240306_0000',
        label: 'stable',
        filename: 'root-tgz',
        filetype: 'root-tgz',
        sha256: '8'.repeat(64),
        size: 3000,
        subarches: 'generic',
        xinstall: 'tgz',
      },
      {
        resource: 'custom/debian-bookworm',
        architecture: 'arm64/generic',
        kflavor: 'generic',
        version: '20240305_0524',
        label: 'stable',
        filename: 'root-txz',
        filetype: 'root-txz',
        sha256: '5'.repeat(64),
        size: 90_000,
        subarches: 'generic',
        xinstall: 'txz',
      },
    ]);
  });

  it('would fail on the LXD products (no label), which is why MAAS is pointed at its own products file', () => {
    assert.throws(() => maasImport(doc('streams/v1/images.json')), /KeyError: 'label'/);
  });
});
