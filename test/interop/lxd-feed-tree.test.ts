// The simplestreams tree of test/helpers/feed-tree.ts is a feed a real LXD 5.0.2 accepts: LXD
// copies every image of it, over HTTP and HTTPS, with the fingerprint the tree says, and refuses
// what the corrupt* helpers break. The remotes tests rely on that tree being realistic.
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {existsSync, readdirSync, readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {hasCommand, imgAsync} from '../helpers/cli.js';
import {
  bigImage,
  buildFeedTree,
  corruptCombined,
  corruptFile,
  corruptItemSha256,
  defaultSpecs,
  INDEX_PATH,
  PRODUCTS_PATH,
  sha256File,
  type FeedTree,
  type Json,
  type TreeImage,
} from '../helpers/feed-tree.js';
import {makeTestCa, StaticServer} from '../helpers/https.js';
import {lxdSkipReason, ThrowawayLxd} from '../helpers/lxd.js';
import {tempDir} from '../helpers/tmp.js';

const skip = lxdSkipReason();
const SPLIT = 'spectest:split:amd64:default';
const work = tempDir('feed-tree-');
let tree: FeedTree;

before(async () => {
  tree = await buildFeedTree(join(work, 'feed'));
});

type Items = Record<string, Json>;
const versionsOf = (doc: Json, product: string): Record<string, {items: Items}> =>
  ((doc.products as Record<string, Json>)[product]!.versions ?? {}) as Record<string, {items: Items}>;
const readJson = (t: FeedTree, path: string): Json => JSON.parse(readFileSync(join(t.dir, path), 'utf8')) as Json;

describe('the feed tree', () => {
  test('advertises every file with its real size and sha256, and the index lists every product', async () => {
    const doc = readJson(tree, PRODUCTS_PATH);
    assert.deepEqual(doc, tree.products());
    const index = readJson(tree, INDEX_PATH).index as Record<string, Json>;
    assert.deepEqual(index.images, {
      datatype: 'image-downloads',
      format: 'products:1.0',
      path: PRODUCTS_PATH,
      products: defaultSpecs()
        .map((s) => s.name)
        .sort(),
      updated: 'Fri, 01 Mar 2024 00:00:00 +0000',
    });
    let n = 0;
    for (const s of defaultSpecs()) {
      for (const [version, {items}] of Object.entries(versionsOf(doc, s.name))) {
        for (const item of Object.values(items)) {
          n++;
          assert.match(item.path as string, new RegExp(`^images/spectest/${s.release}/${s.arch}/default/${version}/[a-z0-9_.]+$`));
          const file = join(tree.dir, item.path as string);
          assert.equal(statSync(file).size, item.size, item.path as string);
          assert.equal(await sha256File(file), item.sha256, item.path as string);
        }
      }
    }
    assert.equal(n, 16);
    assert.ok(!readdirSync(join(tree.dir, 'streams/v1')).some((f) => f.includes('.tmp')));
  });

  test('has the shapes asked for: shared lxd.tar.xz, combined hashes, an empty rootxz hash, two serials', () => {
    const doc = tree.products();
    const split = versionsOf(doc, SPLIT);
    assert.deepEqual(Object.keys(split).sort(), ['20240201_0000', '20240301_0000']);
    const items = split['20240301_0000']!.items;
    assert.deepEqual(Object.keys(items).sort(), ['lxd.tar.xz', 'root.squashfs', 'root.tar.xz']);
    assert.equal(items['root.squashfs']!.ftype, 'squashfs');
    const meta = items['lxd.tar.xz']!;
    assert.equal(meta.combined_squashfs_sha256, tree.find(SPLIT, 'squashfs').fingerprint);
    assert.equal(meta.combined_rootxz_sha256, tree.find(SPLIT, 'root.tar.xz').fingerprint);
    assert.equal(meta.combined_sha256, meta.combined_rootxz_sha256);
    const xz = Object.values(versionsOf(doc, 'spectest:xzonly:amd64:default'))[0]!.items['lxd.tar.xz']!;
    assert.equal(xz.combined_rootxz_sha256, '');
    assert.equal(xz.combined_sha256, tree.find('spectest:xzonly:amd64:default').fingerprint);
    const dual = Object.values(versionsOf(doc, 'spectest:dual:amd64:default'))[0]!.items;
    assert.equal(dual['disk.qcow2']!.ftype, 'disk-kvm.img');
    assert.ok(dual['lxd.tar.xz']!.combined_squashfs_sha256 && dual['lxd.tar.xz']!['combined_disk-kvm-img_sha256']);
    const product = (doc.products as Record<string, Json>)[SPLIT]!;
    assert.equal(product.aliases, 'spectest/split,spectest/split/latest');
    assert.deepEqual([product.support_eol, product.lxd_requirements], ['2030-01-01', {nesting: 'true'}]);
    assert.equal(new Set(tree.images.map((i) => i.fingerprint)).size, tree.images.length, 'every image has its own fingerprint');
  });

  test('img image fingerprint agrees with every fingerprint of the tree', async () => {
    const home = join(work, 'fp-home');
    const results = await Promise.all(tree.images.map((i) => imgAsync(['image', 'fingerprint', ...i.files.map((f) => join(tree.dir, f.path))], {home})));
    results.forEach((r, n) => assert.equal(r.stdout.trim(), tree.images[n]!.fingerprint, r.stderr));
  });

  test('the hand-made qcow2 is one qemu-img accepts', {skip: hasCommand('qemu-img') ? false : 'skipped: qemu-img not installed'}, () => {
    const qcow2 = join(tree.dir, tree.find('spectest:vm:amd64:default').files[1]!.path);
    const check = spawnSync('qemu-img', ['check', qcow2], {encoding: 'utf8'});
    assert.equal(check.status, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /No errors were found/);
    const info = JSON.parse(spawnSync('qemu-img', ['info', '--output=json', qcow2], {encoding: 'utf8'}).stdout) as Json;
    assert.equal(info.format, 'qcow2');
    assert.equal(info['virtual-size'], 64 << 20);
  });

  test('the same inputs give the same tree', async () => {
    const again = await buildFeedTree(join(work, 'again'));
    assert.deepEqual(
      again.images.map((i) => i.fingerprint),
      tree.images.map((i) => i.fingerprint),
    );
    assert.equal(readFileSync(join(again.dir, PRODUCTS_PATH), 'utf8'), readFileSync(join(tree.dir, PRODUCTS_PATH), 'utf8'));
  });

  test('addVersion, corrupt* and bigImage change what they say and nothing else', async () => {
    const t = await buildFeedTree(join(work, 'edit'), {specs: defaultSpecs().slice(0, 1)});
    const added = await t.addVersion(SPLIT, '20240401_0000');
    assert.deepEqual(
      added.map((i) => i.kind),
      ['squashfs', 'root.tar.xz'],
    );
    assert.equal(t.find(SPLIT).fingerprint, added[0]!.fingerprint);
    assert.equal((readJson(t, INDEX_PATH).index as Record<string, Json>).images!.updated, 'Mon, 01 Apr 2024 00:00:00 +0000');
    assert.deepEqual(Object.keys(versionsOf(readJson(t, PRODUCTS_PATH), SPLIT)).sort(), ['20240201_0000', '20240301_0000', '20240401_0000']);

    const squashfs = added[0]!.files[1]!;
    const bad = corruptItemSha256(t, SPLIT, 'root.squashfs');
    const badFp = corruptCombined(t, SPLIT, 'root.tar.xz');
    const big = await bigImage(t, 3);
    // The corruptions outlive the rewrite bigImage made.
    const items = versionsOf(readJson(t, PRODUCTS_PATH), SPLIT)['20240401_0000']!.items;
    assert.equal(items['root.squashfs']!.sha256, bad);
    assert.equal(items['lxd.tar.xz']!.combined_rootxz_sha256, badFp);
    assert.equal(items['lxd.tar.xz']!.combined_sha256, added[1]!.fingerprint, 'only the field LXD reads is changed');
    assert.equal(await sha256File(join(t.dir, squashfs.path)), squashfs.sha256, 'the file is untouched');

    corruptFile(t, squashfs.path);
    assert.equal(statSync(join(t.dir, squashfs.path)).size, squashfs.size);
    assert.notEqual(await sha256File(join(t.dir, squashfs.path)), squashfs.sha256);

    const root = big.files[1]!;
    assert.equal(root.ftype, 'squashfs');
    assert.ok(root.size > 3 << 20, `a squashfs of incompressible data is no smaller than it (${root.size})`);
    assert.ok((readJson(t, PRODUCTS_PATH).products as Json)['spectest:big:amd64:default']);
  });
});

describe('LXD 5.0.2 accepts the feed tree', {skip}, () => {
  let lxd: ThrowawayLxd;
  let plain: StaticServer;
  let tls: StaticServer;
  let bad: StaticServer;
  let badTree: FeedTree;
  const corrupted: Record<string, string> = {};

  before(async () => {
    const ca = makeTestCa(work);
    // SSL_CERT_FILE replaces the daemon's system roots with the test CA, for the HTTPS feed.
    [lxd, plain, tls] = await Promise.all([
      ThrowawayLxd.start({env: {SSL_CERT_FILE: ca.caCert}}),
      StaticServer.start(tree.dir),
      StaticServer.start(tree.dir, {tls: ca}),
    ]);
    // Damaged before LXD first reads it: LXD caches a remote's index and products for an hour.
    // Another serial, so other fingerprints: LXD downloads nothing for an image it already has.
    const specs = defaultSpecs().filter((s) => ['split', 'unified', 'arm'].includes(s.release));
    for (const s of specs) s.versions = ['20240315_0000'];
    badTree = await buildFeedTree(join(work, 'bad'), {specs});
    corrupted.combined = corruptCombined(badTree, SPLIT);
    corrupted.item = corruptItemSha256(badTree, 'spectest:unified:amd64:default', 'lxd_combined.tar.gz');
    corruptFile(badTree, badTree.find('spectest:arm:arm64:default').files[1]!.path);
    bad = await StaticServer.start(badTree.dir);
  });
  after(async () => {
    await Promise.all([lxd?.stop(), plain?.stop(), tls?.stop(), bad?.stop()]);
  });

  const find = (product: string, kind?: TreeImage['kind']) => tree.find(`spectest:${product}`, kind);
  const cases: Array<[alias: string, type: 'virtual-machine' | undefined, want: () => TreeImage]> = [
    ['spectest/split', undefined, () => find('split:amd64:default', 'squashfs')],
    ['spectest/split/latest', undefined, () => find('split:amd64:default', 'squashfs')],
    ['spectest/xzonly', undefined, () => find('xzonly:amd64:default')],
    ['spectest/unified', undefined, () => find('unified:amd64:default')],
    ['spectest/vmonly', 'virtual-machine', () => find('vm:amd64:default')],
    ['spectest/dual', undefined, () => find('dual:amd64:default', 'squashfs')],
    ['spectest/dual', 'virtual-machine', () => find('dual:amd64:default', 'disk-kvm.img')],
    ['spectest/arm', undefined, () => find('arm:arm64:default')],
  ];
  for (const [alias, type, want] of cases) {
    test(`${alias}${type ? ` (${type})` : ''} over HTTP: the tree's fingerprint, type and architecture`, async () => {
      const image = want();
      const r = await lxd.copyFromSimplestreams(plain.url, alias, {type});
      assert.deepEqual(r, {fingerprint: image.fingerprint});
      const got = lxd.image(image.fingerprint);
      assert.equal(got.type, image.type);
      assert.equal(got.architecture, image.arch === 'arm64' ? 'aarch64' : 'x86_64');
    });
  }

  test('the newest serial wins; an older one is reached by its fingerprint; feed properties are used', async () => {
    const old = tree.images.find((i) => i.product === SPLIT && i.version === '20240201_0000' && i.kind === 'squashfs')!;
    assert.notEqual(old.fingerprint, find('split:amd64:default').fingerprint);
    assert.deepEqual(await lxd.copyFromSimplestreams(plain.url, old.fingerprint), {fingerprint: old.fingerprint});
    const got = lxd.image(find('split:amd64:default').fingerprint);
    assert.equal(got.expires_at, '2030-01-01T00:00:00Z');
    assert.deepEqual((got.properties as Json)['requirements.nesting'], 'true');
    assert.deepEqual((got.properties as Json).serial, '20240301_0000');
  });

  test('LXD fetched only the index, the products file and item paths', () => {
    const paths = new Set(tree.images.flatMap((i) => i.files.map((f) => `/${f.path}`)));
    for (const r of plain.requests) {
      assert.ok([`/${INDEX_PATH}`, `/${PRODUCTS_PATH}`].includes(r.path) || paths.has(r.path), r.path);
      assert.match(String(r.headers['user-agent']), /^LXD 5\.0\.2/);
    }
  });

  test('over HTTPS with a test CA: the REST API and lxc remote add + lxc image copy', async () => {
    const vm = find('dual:amd64:default', 'disk-kvm.img');
    lxd.lxc(['image', 'delete', vm.fingerprint]);
    assert.deepEqual(await lxd.copyFromSimplestreams(tls.url, 'spectest/dual', {type: 'virtual-machine'}), {fingerprint: vm.fingerprint});
    const arm = find('arm:arm64:default');
    lxd.lxc(['image', 'delete', arm.fingerprint]);
    // lxc refuses http:// simplestreams remotes but takes this one; lxc runs async so that the
    // servers in this process keep answering.
    assert.equal((await lxcAsync(lxd, ['remote', 'add', 'feed', tls.url, '--protocol', 'simplestreams'])).code, 0);
    const copy = await lxcAsync(lxd, ['image', 'copy', 'feed:spectest/arm', 'local:']);
    assert.equal(copy.code, 0, copy.out);
    assert.equal(lxd.image(arm.fingerprint).architecture, 'aarch64');
    assert.ok(tls.requests.some((r) => r.path === `/${arm.files[1]!.path}`));
  });

  test('what the corrupt* helpers break, LXD refuses', async () => {
    const combined = await lxd.copyFromSimplestreams(bad.url, 'spectest/split');
    assert.match(combined.error ?? '', new RegExp(`Image fingerprint doesn't match.*expected ${corrupted.combined}`));
    const unified = badTree.find('spectest:unified:amd64:default');
    const item = await lxd.copyFromSimplestreams(bad.url, 'spectest/unified');
    assert.match(item.error ?? '', new RegExp(`^Hash mismatch for ${bad.url}/${unified.files[0]!.path}: ${unified.fingerprint} != ${corrupted.item}`));
    const arm = badTree.find('spectest:arm:arm64:default');
    const file = await lxd.copyFromSimplestreams(bad.url, 'spectest/arm');
    assert.match(file.error ?? '', new RegExp(`^Hash mismatch for ${bad.url}/${arm.files[1]!.path}: [0-9a-f]{64} != ${arm.files[1]!.sha256}`));
    assert.deepEqual(
      [unified, arm].filter((i) => existsSync(join(lxd.dir, 'var/images', i.fingerprint))),
      [],
      'nothing is kept',
    );
  });
});

function lxcAsync(lxd: ThrowawayLxd, args: string[]): Promise<{code: number; out: string}> {
  return new Promise((done) => {
    const child = spawn('lxc', args, {env: lxd.env, stdio: ['ignore', 'pipe', 'pipe']});
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({code: code ?? -1, out});
    });
  });
}
