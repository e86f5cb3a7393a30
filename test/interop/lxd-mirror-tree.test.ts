// Must-show 4 of issue 7, end to end: `img simplestreams mirror` of a remote feed (the realistic
// tree of helpers/feed-tree.ts, real images, served over loopback) gives a tree that
// `img simplestreams verify` accepts and that a real LXD 5.0.2 copies from, served by Debian's
// nginx as plain static files, with the source's fingerprints.
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {imgAsync} from '../helpers/cli.js';
import {buildFeedTree, defaultSpecs, type FeedTree} from '../helpers/feed-tree.js';
import {makeTestCa, StaticServer, type TestCa} from '../helpers/https.js';
import {lxdSkipReason, ThrowawayLxd} from '../helpers/lxd.js';
import {Nginx, nginxSkipReason} from '../helpers/nginx.js';
import {tempDir} from '../helpers/tmp.js';

const skip = lxdSkipReason() || nginxSkipReason();
const SPLIT = 'spectest:split:amd64:default';
const UNIFIED = 'spectest:unified:amd64:default';
const work = tempDir('mirror-tree-');
const home = join(work, 'home');
const mirror = join(work, 'mirror');

describe('a tree from img simplestreams mirror, served by nginx', {skip}, () => {
  let ca: TestCa;
  let source: FeedTree;
  let server: StaticServer;
  let nginx: Nginx | undefined;
  let lxd: ThrowawayLxd | undefined;

  before(async () => {
    ca = makeTestCa(work);
    source = await buildFeedTree(join(work, 'feed'), {specs: defaultSpecs().filter((s) => s.name === SPLIT || s.name === UNIFIED)});
    server = await StaticServer.start(source.dir);
  });
  after(async () => {
    await lxd?.stop();
    await nginx?.stop();
    await server?.stop();
  });

  test('mirror --max 1 copies the newest version of each product, and verify accepts the tree', async () => {
    const r = await imgAsync(['simplestreams', 'mirror', server.url, mirror, '--max', '1'], {home});
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^2 version\(s\) of 2 product\(s\): fetched 4 file\(s\)/m);
    const v = await imgAsync(['simplestreams', 'verify', mirror], {home});
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /^ok: 1 products file\(s\), 4 file\(s\)/m);
  });

  test('LXD 5.0.2 copies the split squashfs and the unified image from it with the source fingerprints; the version left out is not there', async () => {
    nginx = await Nginx.start(mirror, join(work, 'nginx'), ca);
    lxd = await ThrowawayLxd.start({env: {SSL_CERT_FILE: ca.caCert}});
    const split = await lxd.copyFromSimplestreams(nginx.url, 'spectest/split');
    assert.equal(split.fingerprint, source.find(SPLIT, 'squashfs').fingerprint, split.error);
    const unified = await lxd.copyFromSimplestreams(nginx.url, 'spectest/unified');
    assert.equal(unified.fingerprint, source.find(UNIFIED, 'combined').fingerprint, unified.error);
    // The older version was not mirrored: LXD cannot find it by fingerprint.
    const older = source.images.find((i) => i.product === SPLIT && i.version === '20240201_0000' && i.kind === 'squashfs')!;
    const gone = await lxd.copyFromSimplestreams(nginx.url, older.fingerprint);
    assert.ok(gone.error && !gone.fingerprint, 'the older version is not in the mirror');
  });
});
