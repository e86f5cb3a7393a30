// img image copy / list / info / alias list from a simplestreams remote: a feed of real images
// (test/helpers/feed-tree.ts) served over HTTPS on 127.0.0.1 with a test CA that the spawned img
// trusts through NODE_EXTRA_CA_CERTS, as a user's would through the system store.
import assert from 'node:assert/strict';
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {img, imgAsync, isCleanError, type RunResult} from '../../helpers/cli.js';
import {buildFeedTree, corruptCombined, corruptItemSha256, type FeedTree, type TreeImage} from '../../helpers/feed-tree.js';
import {clearsign, makeGpgKey} from '../../helpers/gpg.js';
import {makeTestCa, StaticServer} from '../../helpers/https.js';
import {tempDir} from '../../helpers/tmp.js';
import type {ImageJson} from '../../helpers/views.js';

const work = tempDir('copy-');
let tree: FeedTree;
let server: StaticServer;
let env: NodeJS.ProcessEnv;
let caFiles: ReturnType<typeof makeTestCa>;
let homes = 0;

/** A fresh IMG_HOME with the feed added as remote `feed` (and any more `remote add` arguments). */
function home(url = server.url, ...addArgs: string[]): string {
  const h = join(work, `home-${homes++}`);
  const r = img(['remote', 'add', 'feed', url, '--protocol', 'simplestreams', ...addArgs], {home: h, env});
  assert.equal(r.code, 0, r.stderr);
  return h;
}

// Asynchronous: the feed's server runs in this process, and a synchronous spawn would starve it.
function run(h: string, ...args: string[]): Promise<RunResult> {
  return imgAsync(args, {home: h, env});
}

function json<T = Record<string, unknown>>(r: RunResult): T {
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}

const storedImages = async (h: string) =>
  json<Array<{fingerprint: string}>>(await run(h, 'image', 'list', 'local:', '--format', 'json')).map((i) => i.fingerprint);

before(async () => {
  caFiles = makeTestCa(work);
  tree = await buildFeedTree(join(work, 'feed'));
  server = await StaticServer.start(tree.dir, {tls: caFiles});
  env = {NODE_EXTRA_CA_CERTS: caFiles.caCert};
});

after(async () => {
  await server?.stop();
});

describe('img image copy from a simplestreams remote over HTTPS', () => {
  const cases: Array<{name: string; args: string[]; product: string; kind: Parameters<FeedTree['find']>[1]; type: string; arch: string}> = [
    {
      name: 'a split squashfs image',
      args: ['feed:spectest/split'],
      product: 'spectest:split:amd64:default',
      kind: 'squashfs',
      type: 'container',
      arch: 'x86_64',
    },
    {
      name: 'a root.tar.xz-only image',
      args: ['feed:spectest/xzonly'],
      product: 'spectest:xzonly:amd64:default',
      kind: 'root.tar.xz',
      type: 'container',
      arch: 'x86_64',
    },
    {
      name: 'a unified lxd_combined.tar.gz image',
      args: ['feed:spectest/unified'],
      product: 'spectest:unified:amd64:default',
      kind: 'combined',
      type: 'container',
      arch: 'x86_64',
    },
    {
      name: 'a VM by a VM-only alias',
      args: ['feed:spectest/vmonly'],
      product: 'spectest:vm:amd64:default',
      kind: 'disk-kvm.img',
      type: 'virtual-machine',
      arch: 'x86_64',
    },
    {
      name: 'a VM by --vm',
      args: ['feed:spectest/dual', '--vm'],
      product: 'spectest:dual:amd64:default',
      kind: 'disk-kvm.img',
      type: 'virtual-machine',
      arch: 'x86_64',
    },
    {
      name: 'the container of an alias a container and a VM share',
      args: ['feed:spectest/dual'],
      product: 'spectest:dual:amd64:default',
      kind: 'squashfs',
      type: 'container',
      arch: 'x86_64',
    },
    {
      name: 'an arm64-only product from an x86_64 host',
      args: ['feed:spectest/arm'],
      product: 'spectest:arm:arm64:default',
      kind: 'squashfs',
      type: 'container',
      arch: 'aarch64',
    },
  ];
  for (const c of cases) {
    test(`copies ${c.name} with the feed's fingerprint, properties and source`, async () => {
      const h = home();
      const want = tree.find(c.product, c.kind);
      const r = await run(h, 'image', 'copy', ...c.args, 'local:', '--alias', 'mine');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`Image copied successfully: ${want.fingerprint}`));
      assert.equal(r.stderr, '', 'nothing on a pipe: no progress');
      const info = json<ImageJson>(await run(h, 'image', 'info', 'mine', '--format', 'json'));
      assert.equal(info.fingerprint, want.fingerprint);
      assert.equal(info.type, c.type);
      assert.equal(info.architecture, c.arch);
      assert.equal(info.properties.serial, want.version);
      assert.equal(info.properties.os, 'Spectest');
      assert.equal(info.cached, false);
      assert.equal(info.auto_update, false);
      assert.deepEqual(info.update_source, {
        alias: c.args[0]!.slice('feed:'.length),
        certificate: '',
        protocol: 'simplestreams',
        server: server.url,
        image_type: c.args.includes('--vm') ? 'virtual-machine' : '',
      });
      assert.deepEqual(readdirSync(join(h, 'tmp', 'downloads')).sort(), [], 'no partial file is left behind');
    });
  }

  test("properties and dates are the feed's, as LXD 5.0.2 records them", async () => {
    const h = home();
    assert.equal((await run(h, 'image', 'copy', 'feed:spectest/split/amd64', 'local:')).code, 0);
    const want = tree.find('spectest:split:amd64:default', 'squashfs');
    const info = json<ImageJson>(await run(h, 'image', 'info', want.fingerprint.slice(0, 12), '--format', 'json'));
    assert.deepEqual(info.properties, {
      architecture: 'amd64',
      description: `Spectest Split amd64 (${want.version})`,
      os: 'Spectest',
      release: 'split',
      'requirements.nesting': 'true',
      serial: want.version,
      type: 'squashfs',
      variant: 'default',
    });
    assert.equal(info.expires_at, '2030-01-01T00:00:00Z');
    assert.equal(info.created_at, `${want.version.slice(0, 4)}-${want.version.slice(4, 6)}-${want.version.slice(6, 8)}T00:00:00Z`);
    assert.equal(info.filename, 'lxd.tar.xz');
  });

  test('by fingerprint prefix: no source is recorded (it could never update); --copy-aliases brings the remote aliases', async () => {
    const h = home();
    const want = tree.find('spectest:unified:amd64:default');
    assert.equal((await run(h, 'image', 'copy', `feed:${want.fingerprint.slice(0, 16)}`, '--copy-aliases')).code, 0);
    const info = json<ImageJson>(await run(h, 'image', 'info', want.fingerprint, '--format', 'json'));
    assert.equal(info.update_source, undefined);
    assert.deepEqual(info.aliases.map((a) => a.name).sort(), ['spectest/unified', 'spectest/unified/amd64']);
  });

  test('a second copy of a stored image downloads nothing and only adds the alias', async () => {
    const h = home();
    assert.equal((await run(h, 'image', 'copy', 'feed:spectest/unified')).code, 0);
    server.reset();
    const r = await run(h, 'image', 'copy', 'feed:spectest/unified', '--alias', 'again');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /already in the store/);
    assert.equal(server.requests.filter((q) => !q.path.startsWith('/streams/')).length, 0);
    assert.equal(
      json<{fingerprint: string}>(await run(h, 'image', 'info', 'again', '--format', 'json')).fingerprint,
      tree.find('spectest:unified:amd64:default').fingerprint,
    );
  });

  test('an unknown alias is refused as LXD words it, and nothing is stored', async () => {
    const h = home();
    const r = await run(h, 'image', 'copy', 'feed:spectest/nonexist');
    assert.equal(r.code, 3);
    assert.ok(isCleanError(r.stderr), r.stderr);
    assert.match(r.stderr, /The requested image couldn't be found/);
    assert.deepEqual(await storedImages(h), []);
  });

  test('four copies from one remote run side by side', async () => {
    const h = home();
    const names = ['spectest/split', 'spectest/xzonly', 'spectest/unified', 'spectest/arm'];
    const results = await Promise.all(names.map((n) => imgAsync(['image', 'copy', `feed:${n}`], {home: h, env})));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.equal((await storedImages(h)).length, 4);
  });
});

describe('two copies of one image at once', () => {
  test('both succeed, one downloads, and the store holds the image once with both aliases', async () => {
    const h = home();
    const [a, b] = await Promise.all(['one', 'two'].map((alias) => imgAsync(['image', 'copy', 'feed:spectest/split', '--alias', alias], {home: h, env})));
    assert.equal(a!.code, 0, a!.stderr);
    assert.equal(b!.code, 0, b!.stderr);
    assert.deepEqual(await storedImages(h), [tree.find('spectest:split:amd64:default', 'squashfs').fingerprint]);
    for (const alias of ['one', 'two']) assert.equal((await run(h, 'image', 'info', alias)).code, 0);
  });
});

describe('listing a simplestreams remote', () => {
  test('img image list feed: shows the images with their aliases, in every format; filters apply', async () => {
    const h = home();
    const images = json<Array<{fingerprint: string; type: string; aliases: Array<{name: string}>}>>(await run(h, 'image', 'list', 'feed:', '--format', 'json'));
    // Every image of every version, as LXD lists them.
    assert.equal(images.length, tree.images.length);
    const split = images.find((i) => i.fingerprint === tree.find('spectest:split:amd64:default', 'squashfs').fingerprint)!;
    assert.deepEqual(split.aliases.map((a) => a.name).sort(), [
      'spectest/split',
      'spectest/split/amd64',
      'spectest/split/latest',
      'spectest/split/latest/amd64',
    ]);
    const vms = json<unknown[]>(await run(h, 'image', 'list', 'feed:', 'type=virtual-machine', '--format', 'json'));
    assert.equal(vms.length, tree.images.filter((i) => i.type === 'virtual-machine').length);
    const table = await run(h, 'image', 'list', 'feed:spectest/arm');
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /aarch64/);
    assert.match((await run(h, 'image', 'list', 'feed:', '--format', 'csv')).stdout, /spectest\/unified/);
  });

  test('img image info feed:<alias> and img image alias list feed:', async () => {
    const h = home();
    const info = await run(h, 'image', 'info', 'feed:spectest/dual', '--vm');
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, new RegExp(`Fingerprint: ${tree.find('spectest:dual:amd64:default', 'disk-kvm.img').fingerprint}`));
    assert.match(info.stdout, /Type: virtual-machine/);
    const aliases = json<Array<{name: string; type: string}>>(await run(h, 'image', 'alias', 'list', 'feed:', '--format', 'json'));
    assert.ok(aliases.some((a) => a.name === 'spectest/dual' && a.type === 'container'));
    assert.ok(aliases.some((a) => a.name === 'spectest/dual' && a.type === 'virtual-machine'));
    // A short alias of a foreign architecture is not listed (LXD lists arm64's medium alias only).
    assert.ok(!aliases.some((a) => a.name === 'spectest/arm'));
    assert.ok(aliases.some((a) => a.name === 'spectest/arm/arm64'));
  });

  test('the second listing within the TTL asks nothing; after it, a revalidation without the body', async () => {
    const h = home();
    assert.equal((await run(h, 'image', 'list', 'feed:')).code, 0);
    server.reset();
    assert.equal((await run(h, 'image', 'list', 'feed:')).code, 0);
    assert.equal(server.requests.length, 0, 'within images.remote_index_ttl no request is made');
    assert.equal((await run(h, 'config', 'set', 'images.remote_index_ttl', '0')).code, 0);
    server.reset();
    assert.equal((await run(h, 'image', 'list', 'feed:')).code, 0);
    const streams = server.requests.filter((q) => q.path.startsWith('/streams/'));
    assert.ok(streams.length >= 2);
    for (const q of streams) {
      assert.ok(q.headers['if-none-match'] || q.headers['if-modified-since'], `${q.path} is revalidated`);
      assert.equal(q.status, 304);
    }
  });
});

describe('a feed that lies', () => {
  test('a wrong item sha256 is refused naming the file and both hashes; the store is unchanged', async () => {
    const lying = tree.images.find((i) => i.product === 'spectest:xzonly:amd64:default')!;
    const t2 = structuredClone(tree.products());
    const bad = corruptItemSha256(tree, 'spectest:xzonly:amd64:default', 'root.tar.xz');
    try {
      const h = home();
      const r = await run(h, 'image', 'copy', 'feed:spectest/xzonly');
      assert.equal(r.code, 1);
      assert.ok(isCleanError(r.stderr), r.stderr);
      const real = lying.files.find((f) => f.item === 'root.tar.xz')!.sha256;
      assert.match(r.stderr, new RegExp(`root\\.tar\\.xz: sha256 mismatch: expected ${bad}, got ${real}`));
      assert.deepEqual(await storedImages(h), []);
      assert.ok(!readdirSync(join(h, 'tmp', 'downloads')).some((n) => n.includes('rootfs') && n.endsWith('.partial')), 'the bad bytes are not kept');
    } finally {
      restore(t2);
    }
  });

  test('a wrong combined fingerprint is refused; the store is unchanged', async () => {
    const t2 = structuredClone(tree.products());
    const bad = corruptCombined(tree, 'spectest:split:amd64:default', 'squashfs');
    try {
      const h = home();
      const r = await run(h, 'image', 'copy', 'feed:spectest/split');
      assert.equal(r.code, 1);
      assert.ok(isCleanError(r.stderr), r.stderr);
      assert.match(r.stderr, new RegExp(`fingerprint mismatch: expected ${bad}, got ${tree.find('spectest:split:amd64:default', 'squashfs').fingerprint}`));
      assert.deepEqual(await storedImages(h), []);
    } finally {
      restore(t2);
    }
  });

  test('item paths that climb out of the feed or name another server are never fetched', async () => {
    const t2 = structuredClone(tree.products());
    const unified = tree.find('spectest:unified:amd64:default');
    const vm = tree.find('spectest:vm:amd64:default');
    tree.patch((doc) => {
      const products = doc.products as Record<string, {versions: Record<string, {items: Record<string, {path: string}>}>}>;
      const item = (i: TreeImage, n: number) => products[i.product]!.versions[i.version]!.items[i.files[n]!.item]!;
      item(unified, 0).path = '../../etc/passwd';
      item(vm, 1).path = 'https://elsewhere.invalid/disk.qcow2';
    });
    try {
      const h = home();
      server.reset();
      for (const alias of ['spectest/unified', 'spectest/vmonly']) {
        const r = await run(h, 'image', 'copy', `feed:${alias}`);
        assert.notEqual(r.code, 0);
        assert.ok(isCleanError(r.stderr), r.stderr);
      }
      assert.ok(!server.requests.some((q) => q.path.includes('..') || q.path.includes('passwd')));
      assert.deepEqual(await storedImages(h), []);
    } finally {
      restore(t2);
    }
  });
});

describe('a plain http remote', () => {
  test('works, with one warning', async () => {
    const plain = await StaticServer.start(tree.dir);
    try {
      const h = home(plain.url);
      const r = await run(h, 'image', 'copy', 'feed:spectest/unified');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(
        r.stderr,
        `Warning: the remote "feed" is reached over plain http (${plain.url}): nothing proves what it sends comes from that server unchanged\n`,
      );
    } finally {
      await plain.stop();
    }
  });
});

describe('a hostile server', () => {
  test('a products file over the size limit is refused as soon as its Content-Length says so; a redirect to plain http is not followed', async () => {
    const evil = await StaticServer.start(tree.dir, {tls: caFiles});
    try {
      evil.route('/streams/v1/images.json', (_req, res) => {
        res.writeHead(200, {'content-type': 'application/json', 'content-length': String(300 << 20)});
        res.write('{"products": {');
        // Nothing more: the client must not wait for 300 MiB to refuse them.
        setTimeout(() => res.destroy(), 20_000).unref();
      });
      const h = home(evil.url);
      const r = await run(h, 'image', 'list', 'feed:');
      assert.equal(r.code, 1);
      assert.ok(isCleanError(r.stderr), r.stderr);
      assert.match(r.stderr, /images\.json: larger than \d+ bytes/);

      const h2 = home(`${evil.url}/moved`);
      evil.redirect('/moved/streams/v1/index.json', 'http://127.0.0.1:9/streams/v1/index.json');
      const moved = await run(h2, 'image', 'list', 'feed:');
      assert.equal(moved.code, 1);
      assert.ok(isCleanError(moved.stderr), moved.stderr);
      assert.match(moved.stderr, /redirect/i);
    } finally {
      await evil.stop();
    }
  });
});

function restore(doc: unknown): void {
  // Drop the patches by rewriting the documents as they were.
  tree.patch((d) => {
    for (const k of Object.keys(d)) delete d[k];
    Object.assign(d, structuredClone(doc));
  });
}

describe('a remote with a keyring reads only signed indexes', () => {
  test('copies from a feed signed with gpg --clearsign, and refuses it once one byte of a .sjson changed', async () => {
    const key = makeGpgKey(work, 'feed signer');
    const streams = join(tree.dir, 'streams', 'v1');
    clearsign(key.home, join(streams, 'index.json'), join(streams, 'index.sjson'));
    clearsign(key.home, join(streams, 'images.json'), join(streams, 'images.sjson'));
    const h = home(server.url, '--keyring', key.publicBinary);
    const r = await run(h, 'image', 'copy', 'feed:spectest/unified', '--alias', 'signed');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      json<{fingerprint: string}>(await run(h, 'image', 'info', 'signed', '--format', 'json')).fingerprint,
      tree.find('spectest:unified:amd64:default').fingerprint,
    );

    const sjson = join(streams, 'images.sjson');
    writeFileSync(sjson, readFileSync(sjson, 'utf8').replace('"products:1.0"', '"products:1.1"'));
    const h2 = home(server.url, '--keyring', key.publicBinary);
    const bad = await run(h2, 'image', 'copy', 'feed:spectest/split');
    assert.equal(bad.code, 1);
    assert.ok(isCleanError(bad.stderr), bad.stderr);
    assert.match(bad.stderr, /images\.sjson: bad signature/);
    assert.deepEqual(await storedImages(h2), []);

    // Without signatures at all, a keyring remote reads nothing.
    const other = makeGpgKey(work, 'stranger');
    const h3 = home(server.url, '--keyring', other.publicBinary);
    const stranger = await run(h3, 'image', 'list', 'feed:');
    assert.equal(stranger.code, 1);
    assert.match(stranger.stderr, /index\.sjson: bad signature/);
    assert.ok(existsSync(join(streams, 'index.sjson')));
  });
});
