import assert from 'node:assert/strict';
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, it} from 'node:test';
import {pruneTree} from '../../../src/lib/simplestreams/prune.js';
import {verifyTree} from '../../../src/lib/simplestreams/verify.js';
import {INDEX} from '../../../src/lib/simplestreams/tree.js';
import {LocalDirBlobStore} from '../../../src/lib/storage/index.js';
import {tempDir} from '../../helpers/tmp.js';
import {realFeedTree, recording, snapshot, syntheticTree} from './synthetic-tree.js';

const VERSIONS = ['20240101_0000', '20240102_0000', '20240103_0000', '20240104_0000', '20240105_0000'];

/** A tree with five versions of one product, two of another, an orphan under images/ and a page. */
function tree(): string {
  const dir = tempDir();
  syntheticTree(dir, [
    {os: 'Alpine', release: '3.19', arch: 'amd64', versions: VERSIONS},
    {os: 'Debian', release: '12', arch: 'arm64', versions: VERSIONS.slice(0, 2)},
  ]);
  mkdirSync(join(dir, 'images/leftover'), {recursive: true});
  writeFileSync(join(dir, 'images/leftover/root.squashfs'), 'from an add that never finished');
  writeFileSync(join(dir, 'index.html'), '<p>page</p>');
  return dir;
}

const versionsIn = (dir: string): Record<string, string[]> => {
  const doc = JSON.parse(readFileSync(join(dir, 'streams/v1/images.json'), 'utf8')) as {products: Record<string, {versions: object}>};
  return Object.fromEntries(Object.entries(doc.products).map(([name, p]) => [name, Object.keys(p.versions).sort()]));
};

describe('simplestreams prune', () => {
  it('--retain N keeps the newest version and N older ones, deletes their files after the products, then orphans', async () => {
    const dir = tree();
    const {blobs, log} = recording(new LocalDirBlobStore(dir));
    const r = await pruneTree(blobs, {retain: 1});
    assert.deepEqual(
      r.versions.map((v) => `${v.product} ${v.version}`),
      ['alpine:3.19:amd64:default 20240101_0000', 'alpine:3.19:amd64:default 20240102_0000', 'alpine:3.19:amd64:default 20240103_0000'],
    );
    assert.deepEqual(versionsIn(dir), {'alpine:3.19:amd64:default': VERSIONS.slice(3), 'debian:12:arm64:default': VERSIONS.slice(0, 2)});
    assert.equal(r.change.removed.length, 6);
    assert.deepEqual(r.orphans, ['images/leftover/root.squashfs']);
    for (const k of r.change.removed) assert.equal(existsSync(join(dir, k)), false, k);
    assert.equal(existsSync(join(dir, 'images/leftover/root.squashfs')), false);
    assert.equal(readFileSync(join(dir, 'index.html'), 'utf8'), '<p>page</p>');
    // Products first; no file goes before the new products are in place.
    const firstDelete = log.findIndex((l) => l.startsWith('delete'));
    assert.ok(log.indexOf('put streams/v1/images.json') < firstDelete, log.join('\n'));
    assert.deepEqual((await verifyTree(blobs)).problems, []);
  });

  it('default retain is 2 (incus-simplestreams prune --retention), and 0 keeps only the newest', async () => {
    const dir = tree();
    const blobs = new LocalDirBlobStore(dir);
    await pruneTree(blobs);
    assert.deepEqual(versionsIn(dir)['alpine:3.19:amd64:default'], VERSIONS.slice(2));
    await pruneTree(blobs, {retain: 0});
    assert.deepEqual(versionsIn(dir), {'alpine:3.19:amd64:default': VERSIONS.slice(4), 'debian:12:arm64:default': VERSIONS.slice(1, 2)});
  });

  it('--dry-run says what would go and changes no byte', async () => {
    const dir = tree();
    const before = snapshot(dir);
    const r = await pruneTree(new LocalDirBlobStore(dir), {retain: 1, dryRun: true});
    assert.equal(r.versions.length, 3);
    assert.equal(r.change.removed.length, 6);
    assert.deepEqual(r.orphans, ['images/leftover/root.squashfs']);
    assert.deepEqual(snapshot(dir), before);
  });

  it('nothing to prune rewrites nothing, and never sweeps a tree whose index names no file', async () => {
    const dir = tree();
    const blobs = new LocalDirBlobStore(dir);
    await pruneTree(blobs, {retain: 10});
    const before = snapshot(dir);
    const again = await pruneTree(blobs, {retain: 10});
    assert.deepEqual([again.versions, again.change.written, again.orphans], [[], [], []]);
    assert.deepEqual(snapshot(dir), before);

    const ids = tempDir();
    realFeedTree(ids, 'eumel8-image-ids');
    mkdirSync(join(ids, 'images'));
    writeFileSync(join(ids, 'images/keep-me'), 'x');
    const r = await pruneTree(new LocalDirBlobStore(ids), {retain: 0});
    assert.deepEqual(r.orphans, []);
    assert.ok(existsSync(join(ids, 'images/keep-me')));
  });

  it('refuses a directory without a tree', async () => {
    await assert.rejects(pruneTree(new LocalDirBlobStore(tempDir())), (e: Error & {code?: string}) => e.code === 'FileNotFound' && e.message.includes(INDEX));
  });
});
