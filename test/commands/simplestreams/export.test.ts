import assert from 'node:assert/strict';
import {existsSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {before, describe, it} from 'node:test';
import {fingerprintIn, img, isCleanError} from '../../helpers/cli.js';
import {gpgv, makeGpgKey, type GpgKey} from '../../helpers/gpg.js';
import {sampleStore, type SampleStore} from '../../helpers/sample-store.js';
import {tempDir} from '../../helpers/tmp.js';

describe('img simplestreams export | add | remove', () => {
  let work: string;
  let s: SampleStore;
  let key: GpgKey;

  before(() => {
    work = tempDir();
    s = sampleStore(work);
    // The sample's unified image is private; make a second, public, copy of the same product.
    assert.equal(s.run(['image', 'edit', s.unified], 'public: true\n').code, 0);
    key = makeGpgKey(work);
    writeFileSync(join(work, 'key.asc'), key.secretArmored);
  });

  it('exports, says what it wrote, and --format json lists the keys', () => {
    const dir = join(work, 'tree');
    const r = s.run(['simplestreams', 'export', dir]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^2 image\(s\): wrote \d+ file\(s\), kept 0, removed 0$/m);
    const again = s.run(['simplestreams', 'export', dir, '--format', 'json']);
    const change = JSON.parse(again.stdout) as {written: string[]; removed: string[]; images: string[]};
    assert.deepEqual(change.written, []);
    assert.deepEqual(change.images.sort(), [s.split, s.unified].sort());
  });

  it('filters select images, and --dry-run changes nothing but says what it would remove', () => {
    const dir = join(work, 'tree2');
    assert.equal(s.run(['simplestreams', 'export', dir]).code, 0);
    const before = readFileSync(join(dir, 'streams/v1/images.json'), 'utf8');
    const dry = s.run(['simplestreams', 'export', dir, 'split', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /would remove images\/.*lxd_combined\.tar\.gz/);
    assert.equal(readFileSync(join(dir, 'streams/v1/images.json'), 'utf8'), before);
  });

  it('--sign-key writes .sjson and .gpg files gpgv verifies; a wrong key file is one clean error', () => {
    const dir = join(work, 'signed');
    const r = s.run(['simplestreams', 'export', dir, '--sign-key', join(work, 'key.asc')]);
    assert.equal(r.code, 0, r.stderr);
    for (const name of ['index', 'images']) {
      assert.ok(gpgv(key.publicBinary, join(dir, `streams/v1/${name}.sjson`)).ok);
      assert.ok(gpgv(key.publicBinary, join(dir, `streams/v1/${name}.json.gpg`), join(dir, `streams/v1/${name}.json`)).ok);
    }
    const bad = s.run(['simplestreams', 'export', join(work, 'nokey'), '--sign-key', key.publicArmored]);
    assert.equal(bad.code, 1);
    assert.ok(isCleanError(bad.stderr), bad.stderr);
    assert.ok(!existsSync(join(work, 'nokey', 'streams')));
  });

  it('--html writes a page naming the public images only', () => {
    const dir = join(work, 'html');
    assert.equal(s.run(['image', 'edit', s.unified], 'public: false\n').code, 0);
    try {
      assert.equal(s.run(['simplestreams', 'export', dir, '--html']).code, 0);
      const page = readFileSync(join(dir, 'index.html'), 'utf8');
      assert.ok(page.includes(s.split));
      assert.ok(!page.includes(s.unified));
    } finally {
      assert.equal(s.run(['image', 'edit', s.unified], 'public: true\n').code, 0);
    }
  });

  it('add puts image files into a tree, refuses a duplicate, and remove takes it out', () => {
    const dir = join(work, 'added');
    const home = join(work, 'add-home');
    const a = img(['simplestreams', 'add', dir, s.files.meta, s.files.root, '--alias', 'one'], {home});
    assert.equal(a.code, 0, a.stderr);
    assert.equal(fingerprintIn(a.stdout), s.split);
    const dup = img(['simplestreams', 'add', dir, s.files.meta, s.files.root], {home});
    assert.equal(dup.code, 1);
    assert.match(dup.stderr, /^Error: Image with same fingerprint already exists in the tree/m);
    const rm = img(['simplestreams', 'remove', dir, s.split.slice(0, 12)], {home});
    assert.equal(rm.code, 0, rm.stderr);
    assert.ok(!readFileSync(join(dir, 'streams/v1/images.json'), 'utf8').includes(s.split));
    const gone = img(['simplestreams', 'remove', dir, s.split], {home});
    assert.equal(gone.code, 3);
  });
});
