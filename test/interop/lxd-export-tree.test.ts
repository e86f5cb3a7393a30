// A tree written by `img simplestreams export`, signed, and served by Debian's nginx as plain
// static files: a real LXD 5.0.2 copies its images with img's fingerprints; gpgv verifies every
// signature img wrote; img with the remote's --keyring copies from it, and both gpgv and img
// refuse it once one byte of a signed file changes.
import assert from 'node:assert/strict';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {fingerprintIn, img, imgAsync} from '../helpers/cli.js';
import {gpgv, makeGpgKey, type GpgKey} from '../helpers/gpg.js';
import {makeTestCa, type TestCa} from '../helpers/https.js';
import {makeImageTree} from '../helpers/images.js';
import {lxdSkipReason, ThrowawayLxd} from '../helpers/lxd.js';
import {Nginx, nginxSkipReason} from '../helpers/nginx.js';
import {tempDir} from '../helpers/tmp.js';

const skip = lxdSkipReason() || nginxSkipReason();
const work = tempDir('export-tree-');
const home = join(work, 'home');
let ca: TestCa;
let key: GpgKey;
let nginx: Nginx;
let lxd: ThrowawayLxd | undefined;
const fps: Record<string, string> = {};

function publish(name: string, args: string[]): string {
  const tree = makeImageTree(join(work, `src-${name}`), {seed: name});
  const r = img(['publish', '--rootfs', join(tree, 'rootfs'), '--metadata', join(tree, 'metadata.yaml'), '--alias', name, `release=${name}`, ...args], {home});
  assert.equal(r.code, 0, r.stderr);
  return fingerprintIn(r.stdout)!;
}

describe('a tree from img simplestreams export, served by nginx', {skip}, () => {
  before(async () => {
    ca = makeTestCa(work);
    key = makeGpgKey(work);
    writeFileSync(join(work, 'key.asc'), key.secretArmored);
    fps.split = publish('split', ['--format', 'split', '--rootfs-format', 'squashfs', '--compression', 'xz', '--public']);
    fps.uni = publish('uni', ['--format', 'unified', '--compression', 'gzip', '--public']);
    fps.secret = publish('secret', ['--format', 'unified']);
    const r = img(['simplestreams', 'export', join(work, 'tree'), '--sign-key', join(work, 'key.asc'), '--html'], {home});
    assert.equal(r.code, 0, r.stderr);
    nginx = await Nginx.start(join(work, 'tree'), join(work, 'nginx'), ca);
    lxd = await ThrowawayLxd.start({env: {SSL_CERT_FILE: ca.caCert}});
  });
  after(async () => {
    await lxd?.stop();
    await nginx?.stop();
  });

  test('LXD 5.0.2 copies the split squashfs and the unified image with img fingerprints; the private one is not there', async () => {
    for (const name of ['split', 'uni']) {
      const got = await lxd!.copyFromSimplestreams(nginx.url, name);
      assert.equal(got.fingerprint, fps[name], `${name}: ${got.error}`);
    }
    const secret = await lxd!.copyFromSimplestreams(nginx.url, 'secret');
    assert.ok(secret.error && !secret.fingerprint, 'the private image is not in the tree');
    const tree = readFileSync(join(work, 'tree/streams/v1/images.json'), 'utf8');
    assert.ok(!tree.includes(fps.secret!));
  });

  test('gpgv verifies every .sjson and .gpg img wrote', () => {
    for (const name of ['index', 'images']) {
      const base = join(work, 'tree/streams/v1', name);
      assert.ok(gpgv(key.publicBinary, `${base}.sjson`).ok, `${name}.sjson`);
      assert.ok(gpgv(key.publicBinary, `${base}.json.gpg`, `${base}.json`).ok, `${name}.json.gpg`);
    }
  });

  test('img copies from it with the keyring; after one byte changes gpgv and img both refuse', async () => {
    const env = {NODE_EXTRA_CA_CERTS: ca.caCert};
    const h1 = join(work, 'client1');
    assert.equal(img(['remote', 'add', 'signed', nginx.url, '--protocol', 'simplestreams', '--keyring', key.publicBinary], {home: h1}).code, 0);
    const ok = await imgAsync(['image', 'copy', 'signed:split', 'local:', '--alias', 'viasigned'], {home: h1, env});
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(fingerprintIn(ok.stdout), fps.split);

    const signed = join(work, 'tree/streams/v1/images.sjson');
    writeFileSync(signed, readFileSync(signed, 'utf8').replace('"products:1.0"', '"products:1.1"'));
    assert.equal(gpgv(key.publicBinary, signed).ok, false);
    const h2 = join(work, 'client2');
    assert.equal(img(['remote', 'add', 'signed', nginx.url, '--protocol', 'simplestreams', '--keyring', key.publicBinary], {home: h2}).code, 0);
    const refused = await imgAsync(['image', 'copy', 'signed:split', 'local:'], {home: h2, env});
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^Error: .*signature/im);
  });
});
