import assert from 'node:assert/strict';
import {readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {before, describe, it} from 'node:test';
import {loadSigner} from '../../../src/lib/sign/signer.js';
import {loadKeyring} from '../../../src/lib/sign/openpgp.js';
import {pruneTree} from '../../../src/lib/simplestreams/prune.js';
import {verifyTree} from '../../../src/lib/simplestreams/verify.js';
import {LocalDirBlobStore} from '../../../src/lib/storage/index.js';
import {makeGpgKey, type GpgKey} from '../../helpers/gpg.js';
import {tempDir} from '../../helpers/tmp.js';
import {minimalExample, realFeedTree, syntheticTree, writeStreams} from './synthetic-tree.js';

const flip = (path: string): void => {
  const b = readFileSync(path);
  b[Math.floor(b.length / 2)]! ^= 0xff;
  writeFileSync(path, b);
};

describe('simplestreams verify', () => {
  let key: GpgKey;
  before(() => {
    key = makeGpgKey(tempDir());
  });

  it("accepts python simplestreams' minimal example, and finds a corrupted and a missing file, both", async () => {
    const dir = tempDir();
    minimalExample(dir);
    const blobs = new LocalDirBlobStore(dir);
    const ok = await verifyTree(blobs);
    assert.deepEqual({ok: ok.ok, files: ok.files, bytes: ok.bytes, documents: ok.documents}, {ok: true, files: 2, bytes: 76, documents: 1});
    flip(join(dir, 'product1/20150915/text.txt'));
    rmSync(join(dir, 'product1/20150915/root.img'));
    const bad = await verifyTree(blobs);
    assert.equal(bad.ok, false);
    assert.deepEqual(
      bad.problems.map((p) => [p.kind, p.path]),
      [
        ['missing', 'product1/20150915/root.img'],
        ['sha256', 'product1/20150915/text.txt'],
      ],
    );
    const sha = bad.problems[1] as {expected: string; got: string};
    assert.equal(sha.expected, 'f4797060c79363d37129656e5069e817cfd144ba9a1db0a392eeba0c534316dd');
    assert.notEqual(sha.got, sha.expected);
  });

  it('a wrong size, a missing products file and an md5 claim', async () => {
    const dir = tempDir();
    const doc = syntheticTree(dir, [{os: 'Alpine', release: '3.19', arch: 'amd64', versions: ['20240101_0000']}]);
    const base = 'images/alpine/3.19/amd64/default/20240101_0000';
    const path = `${base}/root.squashfs`;
    const size = readFileSync(join(dir, path)).length;
    writeFileSync(join(dir, path), 'short');
    // An md5 claim is checked too (OpenStack items carry one beside sha256).
    const items = (doc.products as Record<string, {versions: Record<string, {items: Record<string, Record<string, unknown>>}>}>)['alpine:3.19:amd64:default']!
      .versions['20240101_0000']!.items;
    items['lxd.tar.xz']!.md5 = '0'.repeat(32);
    writeStreams(dir, doc);
    const r = await verifyTree(new LocalDirBlobStore(dir));
    assert.deepEqual(
      r.problems.map((p) => ({...p, got: p.kind === 'md5' ? 'x' : (p as {got: unknown}).got})),
      [
        {kind: 'md5', path: `${base}/lxd.tar.xz`, got: 'x', expected: '0'.repeat(32)},
        {kind: 'size', path, got: 5, expected: size},
      ],
    );

    const cirros = tempDir();
    realFeedTree(cirros, 'cirros');
    rmSync(join(cirros, 'streams/v1/net.cirros-cloud:devel:download.json'));
    const c = await verifyTree(new LocalDirBlobStore(cirros));
    assert.ok(c.problems.some((p) => p.kind === 'missing' && p.path === 'streams/v1/net.cirros-cloud:devel:download.json'));
    // The released stream names files the fixture does not carry: each one missing, listed.
    assert.ok(c.problems.filter((p) => p.kind === 'missing').length > 3);
  });

  it('with a keyring: signatures img wrote verify; a changed .sjson byte and a missing .gpg are named', async () => {
    const dir = tempDir();
    syntheticTree(dir, [{os: 'Alpine', release: '3.19', arch: 'amd64', versions: ['20240101_0000', '20240102_0000']}]);
    const blobs = new LocalDirBlobStore(dir);
    const signer = await loadSigner(writeKey(key));
    await pruneTree(blobs, {retain: 0, signer});
    const keyring = await loadKeyring(key.publicBinary);
    const ok = await verifyTree(blobs, {keyring});
    assert.deepEqual(ok.problems, []);
    assert.equal(ok.signatures, 4);
    const sjson = join(dir, 'streams/v1/images.sjson');
    writeFileSync(sjson, readFileSync(sjson, 'utf8').replace('"alpine/3.19"', '"alpine/3.20"'));
    rmSync(join(dir, 'streams/v1/index.json.gpg'));
    const bad = await verifyTree(blobs, {keyring});
    assert.deepEqual(bad.problems.map((p) => [p.kind, p.path]).sort(), [
      ['missing', 'streams/v1/index.json.gpg'],
      ['signature', 'streams/v1/images.sjson'],
    ]);
  });
});

function writeKey(key: GpgKey): string {
  const path = join(tempDir(), 'key.asc');
  writeFileSync(path, key.secretArmored);
  return path;
}
