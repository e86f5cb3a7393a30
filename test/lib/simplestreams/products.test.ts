// src/lib/simplestreams/products.ts: a products file read as LXD 5.0.2 reads it (simplestreams.md §2, §8.4).
import assert from 'node:assert/strict';
import {readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {parseProducts, safeItemPath} from '../../../src/lib/simplestreams/products.js';
import {PROJECT} from '../../helpers/cli.js';
import {feed, h, item, product, split} from './feed.js';

const FEEDS = join(PROJECT, 'test/fixtures/feeds');
const FPS = {combined_squashfs_sha256: h('1'), combined_rootxz_sha256: h('2'), 'combined_disk-kvm-img_sha256': h('3')};

describe('parseProducts', () => {
  test('spectest/one: meta + squashfs + root.tar.xz + disk-kvm.img gives three images, fingerprints from the combined_* fields', () => {
    const one = product(
      'amd64',
      'spectest/one',
      {'20231115_0100': split('one', ['squashfs', 'root.tar.xz', 'disk-kvm.img'], FPS)},
      {lxd_requirements: {nesting: 'true'}},
    );
    const {images, skipped} = parseProducts(feed({'spectest:one:amd64:default': one}));
    assert.deepEqual(skipped, []);
    const byFp = new Map(images.map((i) => [i.fingerprint, i]));
    assert.deepEqual([...byFp.keys()].sort(), [h('1'), h('2'), h('3')]);
    const sq = byFp.get(h('1'))!;
    assert.deepEqual(sq, {
      architecture: 'x86_64',
      public: true,
      created_at: '2023-11-15T00:00:00Z',
      uploaded_at: '2023-11-15T00:00:00Z',
      expires_at: '1970-01-01T00:00:00Z',
      product: 'spectest:one:amd64:default',
      version: '20231115_0100',
      productAliases: ['spectest/one'],
      fingerprint: h('1'),
      type: 'container',
      size: 1100,
      filename: 'lxd.tar.xz',
      properties: {
        architecture: 'amd64',
        description: 'Spectest One amd64 (release) (20231115_0100)',
        label: 'release',
        os: 'Spectest',
        release: 'one',
        'requirements.nesting': 'true',
        serial: '20231115_0100',
        type: 'squashfs',
        variant: 'default',
      },
      files: [
        {role: 'metadata', ftype: 'lxd.tar.xz', path: 'one/lxd.tar.xz', size: 100, sha256: h('a')},
        {role: 'rootfs', ftype: 'squashfs', path: 'one/root.squashfs', size: 1000, sha256: h('b')},
      ],
    });
    // Key order of the verified example, too (LXD prints them sorted; ours must hold the same set).
    assert.deepEqual(Object.keys(sq.properties).sort(), [
      'architecture',
      'description',
      'label',
      'os',
      'release',
      'requirements.nesting',
      'serial',
      'type',
      'variant',
    ]);
    const tar = byFp.get(h('2'))!;
    assert.equal(tar.type, 'container');
    assert.equal(tar.properties.type, 'root.tar.xz');
    assert.equal(tar.size, 2100);
    const vm = byFp.get(h('3'))!;
    assert.equal(vm.type, 'virtual-machine');
    assert.equal(vm.properties.type, 'disk-kvm.img');
    assert.deepEqual(vm.files[1], {role: 'rootfs', ftype: 'disk-kvm.img', path: 'one/disk.qcow2', size: 3000, sha256: h('d')});
  });

  test('root.tar.xz falls back to combined_sha256; an empty or missing combined hash drops that image only', () => {
    const fps = {combined_rootxz_sha256: '', combined_sha256: h('7'), combined_squashfs_sha256: ''};
    const {images, skipped} = parseProducts(feed({p: product('amd64', 'x', {'20231115': split('d', ['squashfs', 'root.tar.xz', 'disk-kvm.img'], fps)})}));
    assert.deepEqual(
      images.map((i) => [i.fingerprint, i.properties.type]),
      [[h('7'), 'root.tar.xz']],
    );
    assert.deepEqual(skipped.map((s) => s.item).sort(), ['lxd.tar.xz + disk-kvm.img', 'lxd.tar.xz + root.squashfs']);
  });

  test('support_eol becomes expires_at; a version key is dated by its first 8 characters, else skipped', () => {
    const items = split('v', ['squashfs'], FPS);
    const versions = {'20240229': items, '2023111': items, '20231340_0100': items, '20230230': items, abcdefgh: items, '20231115x': items};
    const {images, skipped} = parseProducts(feed({p: product('arm64', 'x', versions, {support_eol: '2030-01-01'})}));
    assert.deepEqual(
      images.map((i) => [i.version, i.created_at, i.expires_at, i.architecture]),
      [
        ['20240229', '2024-02-29T00:00:00Z', '2030-01-01T00:00:00Z', 'aarch64'],
        ['20231115x', '2023-11-15T00:00:00Z', '2030-01-01T00:00:00Z', 'aarch64'],
      ],
    );
    assert.deepEqual(skipped.map((s) => s.version).sort(), ['20230230', '2023111', '20231340_0100', 'abcdefgh']);
    const bad = parseProducts(feed({p: product('amd64', 'x', {'20240101': items}, {support_eol: '2030-1-1'})}));
    assert.equal(bad.images[0]!.expires_at, '1970-01-01T00:00:00Z');
  });

  test('products with an unknown architecture are skipped; aliases are accepted and made canonical', () => {
    const v = {'20231115': split('a', ['squashfs'], FPS)};
    const {images} = parseProducts(
      feed({a: product('sparc', 'x', v), b: product('AMD64', 'x', v), c: product('armhf', 'y', v), d: product('ppc64el', 'z', v)}),
    );
    assert.deepEqual(
      images.map((i) => [i.product, i.architecture, i.properties.architecture]),
      [
        ['c', 'armv7l', 'armhf'],
        ['d', 'ppc64le', 'ppc64el'],
      ],
    );
  });

  test('unified images: lxd_combined.tar.gz and incus_combined.tar.gz, fingerprint = their own sha256', () => {
    const items = {
      'lxd_combined.tar.gz': item('lxd_combined.tar.gz', 'u/lxd_combined.tar.gz', 'e', 500),
      'incus_combined.tar.gz': item('incus_combined.tar.gz', 'u/incus_combined.tar.gz', 'f', 600, {combined_type: 'virtual-machine'}),
      manifest: item('manifest', 'u/manifest', '9', 5),
    };
    const {images} = parseProducts(feed({p: product('amd64', 'x', {'20231115': items})}));
    assert.deepEqual(
      images.map((i) => [i.fingerprint, i.type, i.size, i.filename, i.properties.type, i.files.map((f) => f.role)]),
      [
        [h('e'), 'container', 500, 'lxd_combined.tar.gz', 'tar.gz', ['unified']],
        [h('f'), 'virtual-machine', 600, 'incus_combined.tar.gz', 'tar.gz', ['unified']],
      ],
    );
  });

  test('empty properties are left out; the description keeps LXD 5.0.2 spacing', () => {
    const p = {arch: 'amd64', versions: {'20231115': {items: split('e', ['squashfs'], FPS)}}};
    const [image] = parseProducts(feed({p})).images;
    assert.deepEqual(image!.properties, {architecture: 'amd64', description: '  amd64 (20231115)', serial: '20231115', type: 'squashfs'});
  });

  test('traversal and absolute paths are refused: that image is skipped, the others stay', () => {
    for (const path of ['../etc/passwd', 'a/../../b', '/etc/passwd', 'https://evil.example/x', 'file:///etc/passwd', 'a\\..\\b', 'a/%2e%2e/b', 'a/./b', '']) {
      const items = split('ok', ['squashfs', 'root.tar.xz'], FPS);
      (items['root.squashfs'] as Record<string, unknown>).path = path;
      const {images, skipped} = parseProducts(feed({p: product('amd64', 'x', {'20231115': items})}));
      assert.deepEqual(
        images.map((i) => i.properties.type),
        ['root.tar.xz'],
        path,
      );
      assert.equal(skipped.length, 1, path);
      assert.match(skipped[0]!.reason, path === '' ? /missing path/ : /unsafe path/, path);
    }
    assert.equal(safeItemPath('images/abc.incus.tar.xz'), true);
    assert.equal(safeItemPath('a..b/c...d'), true, 'dots inside a segment are harmless');
  });

  test('bad sizes and digests are refused; a missing metadata path drops all its pairs', () => {
    const cases: Array<[string, unknown]> = [
      ['size', -1],
      ['size', 1.5],
      ['size', '100'],
      ['size', 2 ** 53],
      ['sha256', 'abc'],
      ['sha256', 'g'.repeat(64)],
      ['path', undefined],
    ];
    for (const [key, value] of cases) {
      const items = split('m', ['squashfs', 'root.tar.xz'], FPS);
      (items['lxd.tar.xz'] as Record<string, unknown>)[key] = value;
      const {images, skipped} = parseProducts(feed({p: product('amd64', 'x', {'20231115': items})}));
      assert.deepEqual(images, [], `${key}=${String(value)}`);
      assert.equal(skipped.length, 2);
    }
  });

  test('hostile shapes are skipped, never thrown', () => {
    for (const json of [null, 42, 'x', [], {}, {products: []}, {products: null}]) {
      const r = parseProducts(json);
      assert.deepEqual([r.images, r.aliases], [[], []]);
      assert.equal(r.skipped.length, 1);
    }
    const good = product('amd64', 'x', {'20231115': split('g', ['squashfs'], FPS)});
    const products = {
      a: null,
      b: [],
      c: {...good, os: 5},
      d: {...good, versions: []},
      e: {...good, lxd_requirements: {nesting: true}},
      f: {...good, aliases: ['x']},
      g: {...good, versions: {'20231115': null, '20231116': {items: []}, '20231117': {label: 1, items: {}}}},
      h: product('amd64', 'x', {'20231115': {'lxd.tar.xz': 'x', r: {ftype: 7}, s: null, t: []}}),
      ok: good,
      __proto__x: {...good, versions: {'20231115': {items: {...split('g', ['squashfs'], FPS), constructor: {}}}}},
    };
    const {images, skipped} = parseProducts(feed(products));
    assert.deepEqual(
      images.map((i) => i.product),
      ['ok', '__proto__x'],
    );
    assert.deepEqual([...new Set(skipped.map((s) => s.product))], ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', '__proto__x']);
    assert.deepEqual(
      skipped.filter((s) => s.product === 'g').map((s) => [s.version, s.reason]),
      [
        ['20231115', 'version is not an object with an "items" map'],
        ['20231116', 'version is not an object with an "items" map'],
        ['20231117', 'version is not an object with an "items" map'],
      ],
    );
  });

  test('the Incus feed (incus.tar.xz + disk-kvm.img) yields VM images with LXD-named combined fingerprints', () => {
    const json: unknown = JSON.parse(readFileSync(join(FEEDS, 'kriszos-incus-feed/images.json'), 'utf8'));
    const {images, aliases, skipped} = parseProducts(json);
    assert.deepEqual(skipped, []);
    assert.equal(images.length, 20);
    assert.ok(images.every((i) => i.type === 'virtual-machine' && i.files.length === 2 && i.properties.type === 'disk-kvm.img'));
    const first = images.find((i) => i.product === 'chr:7.20.4:cloud:amd64')!;
    assert.equal(first.fingerprint, '7ea0b675641457217f05fa0b804ecbf7e150d72868c89cff0204b1bb84d3e89d');
    assert.equal(first.architecture, 'x86_64');
    assert.equal(first.size, 300 + 45416448);
    assert.equal(first.filename, '4d81ada1a051576cd318432ed7d9b62dc98f503003d4a6ecef6abae39631987a.incus.tar.xz');
    assert.equal(first.created_at, '2025-11-17T00:00:00Z');
    assert.deepEqual(first.properties, {
      architecture: 'amd64',
      description: 'chr 7.20.4 amd64 (202511172324)',
      os: 'chr',
      release: '7.20.4',
      serial: '202511172324',
      type: 'disk-kvm.img',
      variant: 'cloud',
    });
    assert.deepEqual(first.files[0], {
      role: 'metadata',
      ftype: 'incus.tar.xz',
      path: 'images/4d81ada1a051576cd318432ed7d9b62dc98f503003d4a6ecef6abae39631987a.incus.tar.xz',
      size: 300,
      sha256: '4d81ada1a051576cd318432ed7d9b62dc98f503003d4a6ecef6abae39631987a',
    });
    // Ten products × two arches × (short + medium).
    assert.equal(aliases.length, 40);
    assert.deepEqual(
      aliases.filter((a) => a.name.startsWith('chr/7.20.4/cloud')).map((a) => [a.name, a.architecture, a.type]),
      [
        ['chr/7.20.4/cloud', 'x86_64', 'virtual-machine'],
        ['chr/7.20.4/cloud/amd64', 'x86_64', 'virtual-machine'],
        ['chr/7.20.4/cloud', 'aarch64', 'virtual-machine'],
        ['chr/7.20.4/cloud/arm64', 'aarch64', 'virtual-machine'],
      ],
    );
  });

  test('other datatypes and foreign ftypes (simplestreams examples, image-ids) yield nothing and do not throw', () => {
    const files = [
      ...readdirSync(join(FEEDS, 'simplestreams-examples/cirros')).map((f) => `simplestreams-examples/cirros/${f}`),
      'simplestreams-examples/minimal/download.json',
      'simplestreams-examples/minimal/index.json',
      'eumel8-image-ids/com.ubuntu.cloud-released-otc.json',
      'eumel8-image-ids/index.json',
      'kriszos-incus-feed/index.json',
    ];
    for (const f of files) {
      const r = parseProducts(JSON.parse(readFileSync(join(FEEDS, f), 'utf8')));
      assert.deepEqual([r.images, r.aliases], [[], []], f);
    }
  });
});
