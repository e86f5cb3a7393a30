import assert from 'node:assert/strict';
import {createHash, randomBytes} from 'node:crypto';
import {copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, it} from 'node:test';
import {deserialize} from 'node:v8';
import {exportCached} from '../../../src/lib/simplestreams/export-cache.js';
import {exportStore} from '../../../src/lib/simplestreams/from-store.js';
import {LocalDirBlobStore} from '../../../src/lib/storage/index.js';
import {Store} from '../../../src/lib/store/store.js';
import {tempDir} from '../../helpers/tmp.js';

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

interface Spec {
  release: string;
  serial: string;
  kind: 'unified' | 'squashfs' | 'tar';
  type?: 'container' | 'virtual-machine';
  /** Metadata bytes: split images given the same seed share their metadata file. */
  meta?: string;
  public?: boolean;
}

/** A record written straight into the store, as bench/feed-store.mjs writes them: digests known, tiny files. */
function addImage(store: Store, spec: Spec): string {
  const files =
    spec.kind === 'unified'
      ? [{role: 'unified', data: randomBytes(64), kind: 'tar', compression: 'gzip', extension: '.tar.gz'}]
      : [
          {role: 'metadata', data: Buffer.from(`meta ${spec.meta ?? randomBytes(8).toString('hex')}`), kind: 'tar', compression: 'xz', extension: '.tar.xz'},
          {
            role: 'rootfs',
            data: randomBytes(128),
            kind: spec.kind,
            compression: spec.kind === 'tar' ? 'xz' : 'none',
            extension: spec.kind === 'tar' ? '.tar.xz' : '.squashfs',
          },
        ];
  const fp = sha256(Buffer.concat(files.map((f) => f.data)));
  const dir = store.imageDir(fp);
  mkdirSync(dir, {recursive: true});
  for (const f of files) writeFileSync(join(dir, f.role), f.data);
  const at = `2024-0${1 + (Number(spec.serial.slice(-1)) % 9)}-01T00:00:00Z`;
  const record = {
    fingerprint: fp,
    type: spec.type ?? 'container',
    architecture: 'x86_64',
    size: files.reduce((n, f) => n + f.data.length, 0),
    filename: '',
    properties: {os: 'Testos', release: spec.release, variant: 'default', serial: spec.serial, description: `test ${spec.release}`},
    public: spec.public ?? true,
    cached: false,
    auto_update: false,
    profiles: ['default'],
    created_at: at,
    uploaded_at: at,
    last_used_at: '0001-01-01T00:00:00Z',
    expires_at: '1970-01-01T00:00:00Z',
    update_source: null,
    files: files.map((f) => ({role: f.role, size: f.data.length, kind: f.kind, compression: f.compression, extension: f.extension, sha256: sha256(f.data)})),
  };
  writeFileSync(join(dir, 'image.json'), JSON.stringify(record));
  return fp;
}

function setAliases(store: Store, aliases: Record<string, string>): void {
  writeFileSync(store.paths.aliases, JSON.stringify({aliases: Object.fromEntries(Object.entries(aliases).map(([n, t]) => [n, {target: t, description: ''}]))}));
}

const tick = (): Promise<void> => new Promise((done) => setTimeout(done, 30));

const DOCS = ['streams/v1/index.json', 'streams/v1/images.json'];
const docs = (dir: string): string[] => DOCS.map((d) => readFileSync(join(dir, d), 'utf8'));
const payload = (dir: string): string[] => readdirSync(join(dir, 'images')).sort();
const cacheFiles = (store: Store): string[] =>
  readdirSync(join(store.paths.home, 'cache', 'export'))
    .filter((n) => n.includes('.v8'))
    .map((n) => join(store.paths.home, 'cache', 'export', n));

describe('simplestreams export through the cache', () => {
  const work = tempDir();
  const store = new Store({home: join(work, 'home')});
  const cachedDir = join(work, 'cached');
  const fullDir = join(work, 'full');
  const fps: Record<string, string> = {};

  /** The cached export and the full one (its own tree) side by side: documents, files, result and change must agree. */
  async function both(label: string, expectSame = true): Promise<Awaited<ReturnType<typeof exportCached>>> {
    // Past the filesystem clock's tick: records changed in the run's first tick are not cached, and
    // the unchanged ones should be, so that the cached path is what is compared.
    await tick();
    const cached = await exportCached(store, new LocalDirBlobStore(cachedDir), {});
    const full = await exportStore(store, new LocalDirBlobStore(fullDir), {cache: false});
    assert.deepEqual(docs(cachedDir), docs(fullDir), `${label}: documents`);
    assert.deepEqual(payload(cachedDir), payload(fullDir), `${label}: files`);
    assert.deepEqual(
      cached.images.map((i) => i.fingerprint),
      full.images.map((i) => i.fingerprint),
      `${label}: images`,
    );
    assert.deepEqual(cached.refused, full.refused, `${label}: refused`);
    if (expectSame) assert.deepEqual(cached.change, full.change, `${label}: change`);
    return cached;
  }

  it('renders product by product exactly what the whole-store render writes, through every kind of change', async () => {
    fps.a1 = addImage(store, {release: 'alpha', serial: '20240101', kind: 'unified'});
    fps.a2 = addImage(store, {release: 'alpha', serial: '20240102', kind: 'squashfs', meta: 'shared'});
    // Same version, another root kind, the same metadata bytes: one shared metadata item.
    fps.a3 = addImage(store, {release: 'alpha', serial: '20240102', kind: 'tar', meta: 'shared'});
    fps.b1 = addImage(store, {release: 'beta', serial: '20240103', kind: 'squashfs'});
    fps.b2 = addImage(store, {release: 'beta', serial: '20240103', kind: 'squashfs'}); // a second root of one kind: moved to _2
    fps.c1 = addImage(store, {release: 'gamma', serial: '20240104', kind: 'unified', type: 'virtual-machine'}); // LXD refuses it
    fps.p1 = addImage(store, {release: 'private', serial: '20240105', kind: 'unified', public: false});
    setAliases(store, {'testos/alpha': fps.a2, 'testos/beta': fps.b1, 'testos/b2': fps.b2});

    const first = await both('first export');
    assert.equal(first.refused.length, 1);
    assert.ok(cacheFiles(store).length === 2, 'the cache is written');

    const again = await both('unchanged');
    assert.deepEqual(again.change.written, []);
    assert.deepEqual(again.change.removed, []);

    await store.updateRecord(fps.a1!, (r) => ({...r, properties: {...r.properties, release_title: 'Alpha Centauri'}}));
    await both('a property changed');

    await store.updateRecord(fps.b2!, (r) => ({...r, properties: {...r.properties, release: 'delta'}}));
    await both('an image moved to another product');

    setAliases(store, {'testos/alpha': fps.a3!, 'testos/beta': fps.b1!, 'testos/delta': fps.b2!, 'another,name': fps.a1!});
    const aliases = await both('aliases changed');
    assert.ok(aliases.change.written.includes('streams/v1/images.json'));
    assert.match(docs(cachedDir)[1]!, /"aliases": "testos\/delta"/);

    await store.updateRecord(fps.b1!, (r) => ({...r, public: false}));
    const gone = await both('an image made private');
    assert.ok(gone.change.removed.length > 0, 'its files go');

    rmSync(store.imageDir(fps.a1!), {recursive: true});
    fps.e1 = addImage(store, {release: 'epsilon', serial: '20240106', kind: 'squashfs', meta: 'shared'});
    fps.a4 = addImage(store, {release: 'alpha', serial: '20240107', kind: 'squashfs'});
    await both('images removed and added');
    await both('unchanged after all that');
  });

  it('a tree changed by hand is read again and repaired, not trusted', async () => {
    const products = join(cachedDir, 'streams/v1/images.json');
    const doc = JSON.parse(readFileSync(products, 'utf8')) as {products: Record<string, unknown>};
    doc.products = {};
    writeFileSync(products, JSON.stringify(doc));
    const repaired = await exportCached(store, new LocalDirBlobStore(cachedDir), {});
    // The index named no file any more: every one is linked again (as the full path would), the products written.
    assert.equal(repaired.change.written.at(-1), 'streams/v1/images.json');
    assert.equal(repaired.change.written.length, payload(cachedDir).length + 1);
    await both('after the repair');

    // A signature left by a signed run: the unsigned export removes it, as the full path does.
    writeFileSync(join(cachedDir, 'streams/v1/index.sjson'), 'stale');
    writeFileSync(join(fullDir, 'streams/v1/index.sjson'), 'stale');
    const unsigned = await both('a stale signature');
    assert.deepEqual(unsigned.change.removed, ['streams/v1/index.sjson']);
  });

  it('a damaged, stale or half-replaced cache is a miss, never a wrong tree', async () => {
    const [index, body] = cacheFiles(store).sort() as [string, string];
    const oldBody = join(work, 'old-body');
    copyFileSync(body, oldBody);
    await store.updateRecord(fps.a4!, (r) => ({...r, properties: {...r.properties, release_title: 'Changed again'}}));
    await both('before the damage');

    // A body from another run than its index (a crash between the two renames).
    copyFileSync(oldBody, body);
    await store.updateRecord(fps.a4!, (r) => ({...r, properties: {...r.properties, release_title: 'And once more, longer'}}));
    await both('body of another generation');

    writeFileSync(index, 'not a cache');
    await store.updateRecord(fps.a2!, (r) => ({...r, properties: {...r.properties, release_title: 'Damaged cache'}}));
    await both('damaged index');
    rmSync(join(store.paths.home, 'cache'), {recursive: true});
    await both('no cache');
  });

  it('--dry-run changes neither the tree nor the cache', async () => {
    const before = cacheFiles(store).map((f) => readFileSync(f));
    const treeBefore = docs(cachedDir);
    await store.updateRecord(fps.e1!, (r) => ({...r, properties: {...r.properties, release_title: 'Dry'}}));
    const dry = await exportCached(store, new LocalDirBlobStore(cachedDir), {dryRun: true});
    assert.deepEqual(dry.change.written, ['streams/v1/images.json']);
    assert.deepEqual(docs(cachedDir), treeBefore);
    assert.deepEqual(
      cacheFiles(store).map((f) => readFileSync(f)),
      before,
    );
    await both('after the dry run');
  });

  it('keeps every record that changed before the run began', async () => {
    await store.updateRecord(fps.e1!, (r) => ({...r, properties: {...r.properties, release_title: 'Fresh'}}));
    await both('after a change');
    const [index] = cacheFiles(store).sort() as [string];
    const cached = deserialize(readFileSync(index)) as {fps: string[]};
    assert.deepEqual(
      cached.fps.sort(),
      Object.values(fps)
        .filter((fp) => fp !== fps.a1)
        .sort(),
    );
  });

  it('a file two products share stays while one of them still names it', async () => {
    await store.updateRecord(fps.e1!, (r) => ({...r, public: false}));
    const {change} = await both('epsilon gone, alpha still shares its metadata');
    assert.ok(change.removed.length > 0, "epsilon's own root goes");
    assert.ok(!change.removed.some((k) => k.endsWith('.lxd.tar.xz')), 'the shared metadata stays');
  });
});
