import assert from 'node:assert/strict';
import {cpSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import {ResponseCache} from '../../../src/lib/http/cache.js';
import {mirrorFeed, type MirrorOptions} from '../../../src/lib/simplestreams/mirror.js';
import {parseProducts} from '../../../src/lib/simplestreams/products.js';
import {readRemoteFeed} from '../../../src/lib/simplestreams/read-feed.js';
import {verifyTree} from '../../../src/lib/simplestreams/verify.js';
import {loadSigner} from '../../../src/lib/sign/signer.js';
import {LocalDirBlobStore} from '../../../src/lib/storage/index.js';
import {makeGpgKey} from '../../helpers/gpg.js';
import {StaticServer} from '../../helpers/https.js';
import {tempDir} from '../../helpers/tmp.js';
import {minimalExample, realFeedTree, snapshot, syntheticTree, writeStreams} from './synthetic-tree.js';

const VERSIONS = ['20240101_0000', '20240102_0000', '20240103_0000'];

describe('simplestreams mirror', () => {
  let source: string;
  let server: StaticServer;
  let work: string;

  before(async () => {
    work = tempDir();
    source = join(work, 'source');
    syntheticTree(source, [
      {os: 'Alpine', release: '3.19', arch: 'amd64', versions: VERSIONS},
      {os: 'Debian', release: '12', arch: 'arm64', versions: VERSIONS.slice(0, 2)},
    ]);
    server = await StaticServer.start(source);
  });
  after(() => server.stop());

  const cache = () => new ResponseCache(join(work, 'cache'), {ttlMs: 0});
  const feed = async (url = server.url) => readRemoteFeed(url, {cache: cache()});
  const mirror = async (dir: string, opts: Partial<MirrorOptions> = {}) =>
    mirrorFeed(await feed(), new LocalDirBlobStore(dir), {workDir: join(work, 'partials'), ...opts});
  const fileGets = () => server.requests.filter((r) => r.method === 'GET' && r.path.startsWith('/images/')).length;

  it('copies the feed at the same paths, verified; the copy passes verify and reads as the source', async () => {
    const dir = tempDir();
    const r = await mirror(dir);
    assert.equal(r.versions.length, 5);
    assert.equal(r.fetched.length, 10);
    for (const f of r.fetched) assert.deepEqual(readFileSync(join(dir, f.path)), readFileSync(join(source, f.path)));
    assert.deepEqual((await verifyTree(new LocalDirBlobStore(dir))).problems, []);
    const mirrored = parseProducts(JSON.parse(readFileSync(join(dir, 'streams/v1/images.json'), 'utf8')));
    const original = parseProducts(JSON.parse(readFileSync(join(source, 'streams/v1/images.json'), 'utf8')));
    assert.deepEqual(mirrored.images, original.images);
    // The downloads went into the tree: none is left behind.
    assert.deepEqual(readdirSync(join(work, 'partials')), []);
  });

  it('refuses an item that would overwrite one of the tree documents', async () => {
    const evil = tempDir();
    const doc = syntheticTree(evil, [{os: 'Alpine', release: '3.19', arch: 'amd64', versions: VERSIONS.slice(0, 1)}]);
    const items = Object.values(doc.products as Record<string, {versions: Record<string, {items: Record<string, {path: string}>}>}>)[0]!.versions[VERSIONS[0]!]!
      .items;
    items['root.squashfs']!.path = 'streams/v1/index.json';
    writeStreams(evil, doc);
    const s = await StaticServer.start(evil);
    try {
      const dir = tempDir();
      await assert.rejects(
        mirrorFeed(await readRemoteFeed(s.url, {cache: cache()}), new LocalDirBlobStore(dir), {workDir: join(work, 'partials')}),
        (e: Error & {code?: string}) => e.code === 'InvalidFeed' && e.message.includes("one of the tree's documents"),
      );
      assert.deepEqual(readdirSync(dir), []);
    } finally {
      await s.stop();
    }
  });

  it('refuses an item whose path climbs out of the tree or is absolute, before fetching anything', async () => {
    for (const bad of ['../../escape', '/etc/escape', 'images/../../escape']) {
      const evil = tempDir();
      const doc = syntheticTree(evil, [{os: 'Alpine', release: '3.19', arch: 'amd64', versions: VERSIONS.slice(0, 1)}]);
      const items = Object.values(doc.products as Record<string, {versions: Record<string, {items: Record<string, {path: string}>}>}>)[0]!.versions[
        VERSIONS[0]!
      ]!.items;
      items['root.squashfs']!.path = bad;
      writeStreams(evil, doc);
      const s = await StaticServer.start(evil);
      try {
        const top = tempDir();
        const dir = join(top, 'a', 'b');
        await assert.rejects(
          mirrorFeed(await readRemoteFeed(s.url, {cache: cache()}), new LocalDirBlobStore(dir), {workDir: join(work, 'partials')}),
          (e: Error & {code?: string}) => e.code === 'InvalidFeed' && e.message.includes('unsafe path'),
        );
        assert.deepEqual(readdirSync(top), [], `${bad}: nothing written`);
        assert.equal(s.requests.filter((r) => r.method === 'GET' && !r.path.startsWith('/streams/')).length, 0, `${bad}: nothing fetched`);
      } finally {
        await s.stop();
      }
    }
  });

  it('--max N keeps the newest N versions of each product; filters pick images', async () => {
    const dir = tempDir();
    const r = await mirror(dir, {max: 1});
    assert.deepEqual(
      r.versions.map((v) => `${v.product} ${v.version}`),
      ['alpine:3.19:amd64:default 20240103_0000', 'debian:12:arm64:default 20240102_0000'],
    );
    const alpine = tempDir();
    const a = await mirror(alpine, {filters: ['os=Alpine'], max: 2});
    assert.deepEqual(
      a.versions.map((v) => v.version),
      VERSIONS.slice(1),
    );
    const arm = await mirror(tempDir(), {filters: ['arch=arm64']});
    assert.deepEqual([...new Set(arm.versions.map((v) => v.product))], ['debian:12:arm64:default']);
    const byAlias = await mirror(tempDir(), {filters: ['debian/12']});
    assert.equal(byAlias.versions.length, 2);
    const none = await mirror(tempDir(), {filters: ['os=Nothing']});
    assert.deepEqual([none.versions, none.fetched], [[], []]);
  });

  it('a re-mirror of an unchanged source downloads nothing and changes no byte', async () => {
    const dir = tempDir();
    await mirror(dir);
    const before = snapshot(dir);
    server.reset();
    const again = await mirror(dir);
    assert.deepEqual([again.fetched, again.change.written, again.change.removed], [[], [], []]);
    assert.equal(fileGets(), 0);
    assert.deepEqual(snapshot(dir), before);
  });

  it('--dry-run lists what would be fetched and touches nothing', async () => {
    const dir = tempDir();
    await mirror(dir, {filters: ['os=Alpine']});
    const before = snapshot(dir);
    server.reset();
    const dry = await mirror(dir, {dryRun: true});
    assert.equal(dry.fetched.length, 4);
    assert.ok(dry.fetched.every((f) => f.path.startsWith('images/debian/')));
    assert.equal(fileGets(), 0);
    assert.deepEqual(snapshot(dir), before);
  });

  it('a file the source serves wrong fails the mirror, naming it, and leaves the tree as it was', async () => {
    const tampered = join(work, 'tampered');
    cpSync(source, tampered, {recursive: true});
    const path = 'images/debian/12/arm64/default/20240102_0000/root.squashfs';
    const bytes = readFileSync(join(tampered, path));
    bytes[3]! ^= 0xff;
    writeFileSync(join(tampered, path), bytes);
    const bad = await StaticServer.start(tampered);
    try {
      const dir = tempDir();
      await mirror(dir, {filters: ['os=Alpine']});
      const before = snapshot(dir);
      const f = await readRemoteFeed(bad.url, {cache: cache()});
      await assert.rejects(
        mirrorFeed(f, new LocalDirBlobStore(dir), {workDir: join(work, 'partials')}),
        (e: Error & {code?: string}) => e.code === 'HashMismatch' && e.message.includes(path),
      );
      assert.deepEqual(snapshot(dir), before);
    } finally {
      await bad.stop();
    }
  });

  it('narrowing the selection removes what is no longer mirrored, after the new index', async () => {
    const dir = tempDir();
    await mirror(dir);
    const r = await mirror(dir, {filters: ['os=Debian']});
    assert.equal(r.change.removed.length, 6);
    assert.deepEqual((await verifyTree(new LocalDirBlobStore(dir))).problems, []);
  });

  it('signs the mirrored tree with --sign-key, and mirrors a feed of another datatype', async () => {
    const key = makeGpgKey(tempDir());
    const keyFile = join(tempDir(), 'key.asc');
    writeFileSync(keyFile, key.secretArmored);
    const dir = tempDir();
    await mirror(dir, {signer: await loadSigner(keyFile), max: 1});
    const {loadKeyring} = await import('../../../src/lib/sign/openpgp.js');
    assert.deepEqual((await verifyTree(new LocalDirBlobStore(dir), {keyring: await loadKeyring(key.publicBinary)})).problems, []);
    // ...and that signed tree, served, is mirrored again through the keyring.
    const signed = await StaticServer.start(dir);
    try {
      const f = await readRemoteFeed(signed.url, {cache: cache(), keyring: key.publicBinary});
      const copy = tempDir();
      const r = await mirrorFeed(f, new LocalDirBlobStore(copy), {workDir: join(work, 'partials')});
      assert.equal(r.versions.length, 2);
      assert.deepEqual((await verifyTree(new LocalDirBlobStore(copy))).problems, []);
    } finally {
      await signed.stop();
    }

    const minimal = tempDir();
    minimalExample(minimal);
    const ex = await StaticServer.start(minimal);
    try {
      const copy = tempDir();
      const r = await mirrorFeed(await readRemoteFeed(ex.url, {cache: cache()}), new LocalDirBlobStore(copy), {workDir: join(work, 'partials')});
      assert.deepEqual(r.versions, [{contentId: 'com.example:download', product: 'com.example:product1', version: '20150915'}]);
      assert.deepEqual((await verifyTree(new LocalDirBlobStore(copy))).problems, []);
    } finally {
      await ex.stop();
    }

    const ids = tempDir();
    realFeedTree(ids, 'eumel8-image-ids');
    const idServer = await StaticServer.start(ids);
    try {
      const copy = tempDir();
      const r = await mirrorFeed(await readRemoteFeed(idServer.url, {cache: cache()}), new LocalDirBlobStore(copy), {workDir: join(work, 'partials')});
      assert.ok(r.versions.length >= 2);
      assert.deepEqual(r.fetched, []);
    } finally {
      await idServer.stop();
    }
  });
});
