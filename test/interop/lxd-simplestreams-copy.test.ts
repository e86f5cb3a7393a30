// img image copy against the real thing: one feed tree (test/helpers/feed-tree.ts) served over
// HTTPS, copied by `lxc image copy` into a throwaway LXD 5.0.2 and by `img image copy` into a
// temporary store. Each case must give both the tree's fingerprint and the same record
// (properties, architecture, type, dates, source); the differences found are printed as test
// diagnostics, and only the deliberate ones are allowed. A feed that lies is refused by both.
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {existsSync, rmSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, test, type TestContext} from 'node:test';
import {isDeepStrictEqual} from 'node:util';
import {imgAsync, type RunResult} from '../helpers/cli.js';
import {buildFeedTree, corruptCombined, corruptItemSha256, type FeedTree, type RootKind} from '../helpers/feed-tree.js';
import {makeTestCa, StaticServer} from '../helpers/https.js';
import {lxdSkipReason, ThrowawayLxd} from '../helpers/lxd.js';
import {tempDir} from '../helpers/tmp.js';

const skip = lxdSkipReason();
const work = tempDir('ss-copy-');

type Rec = Record<string, unknown>;

/** lxc with a time limit, a hung attempt retried (ThrowawayLxd.lxcAsync); a retried copy that had finished finds the image there at once. */
async function lxc(lxd: ThrowawayLxd, args: string[], timeoutMs = 20_000): Promise<RunResult> {
  for (let attempt = 0; ; attempt++) {
    const r = await lxd.lxcAsync(args, timeoutMs);
    if (!r.timedOut || attempt >= 3) return r;
  }
}

describe('img image copy and lxc image copy (LXD 5.0.2) from the same simplestreams feed over HTTPS', {skip}, () => {
  let tree: FeedTree;
  let server: StaticServer;
  let lxd: ThrowawayLxd;
  let env: NodeJS.ProcessEnv;
  let homes = 0;

  /** A fresh IMG_HOME with the feed as remote `feed`: each has its own cache of the feed's index. */
  async function imgHome(): Promise<string> {
    const h = join(work, `home-${homes++}`);
    const r = await imgAsync(['remote', 'add', 'feed', server.url, '--protocol', 'simplestreams'], {home: h, env});
    assert.equal(r.code, 0, r.stderr);
    return h;
  }
  const img = (h: string, ...args: string[]) => imgAsync(args, {home: h, env});

  async function lxdImages(): Promise<Rec[]> {
    const r = await lxc(lxd, ['image', 'list', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Rec[];
  }
  async function imgImages(h: string): Promise<Rec[]> {
    const r = await img(h, 'image', 'list', 'local:', '--format', 'json');
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Rec[];
  }

  /** `lxc image copy`, then the record of the one image it added (lxc prints no fingerprint). */
  async function lxcCopy(args: string[]): Promise<{r: RunResult; added: Rec[]}> {
    const had = new Set((await lxdImages()).map((i) => i.fingerprint));
    const r = await lxc(lxd, ['image', 'copy', ...args, 'local:']);
    return {r, added: (await lxdImages()).filter((i) => !had.has(i.fingerprint))};
  }

  /**
   * LXD keeps a simplestreams server's index and products file in $LXD_DIR/cache/<sha256(url)>/
   * for an hour (client.ConnectSimpleStreams): forget them, so that it reads the feed as changed.
   */
  function forgetLxdFeedCache(): void {
    const dir = join(lxd.dir, 'var', 'cache', createHash('sha256').update(server.url).digest('hex'));
    assert.ok(existsSync(join(dir, 'images.json')), `LXD's cache of the feed is where expected (${dir})`);
    rmSync(dir, {recursive: true});
  }

  before(async () => {
    const ca = makeTestCa(work);
    tree = await buildFeedTree(join(work, 'feed'));
    // SSL_CERT_FILE replaces the daemon's system roots with the test CA; img gets it as a user would add one.
    [server, lxd] = await Promise.all([StaticServer.start(tree.dir, {tls: ca}), ThrowawayLxd.start({env: {SSL_CERT_FILE: ca.caCert}})]);
    env = {NODE_EXTRA_CA_CERTS: ca.caCert};
    const add = await lxc(lxd, ['remote', 'add', 'feed', server.url, '--protocol', 'simplestreams', '--public']);
    assert.equal(add.code, 0, add.stderr);
  });
  after(async () => {
    await Promise.all([lxd?.stop(), server?.stop()]);
  });

  // Fields that differ by nature: the time of each copy, and img's list of stored files (LXD has none).
  const UNCOMPARED = new Set(['uploaded_at', 'files']);
  /** Every field (one level into update_source) where the two records differ, as `field: lxd … img …`. */
  function differences(l: Rec, i: Rec): string[] {
    const out: string[] = [];
    const walk = (a: Rec, b: Rec, prefix: string) => {
      for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
        if (UNCOMPARED.has(k)) continue;
        const [x, y] = [a[k], b[k]];
        if (k === 'update_source' && x && y && typeof x === 'object' && typeof y === 'object') walk(x as Rec, y as Rec, `${k}.`);
        else if (!isDeepStrictEqual(x, y)) out.push(`${prefix}${k}: lxd ${JSON.stringify(x)} img ${JSON.stringify(y)}`);
      }
    };
    walk(l, i, '');
    return out;
  }

  /** One store for all the cases, as one user's. */
  let home: string | undefined;
  const cases: Array<{name: string; args: string[]; product: string; kind?: RootKind; known?: string[]}> = [
    {name: 'spectest/split (squashfs)', args: ['feed:spectest/split'], product: 'spectest:split:amd64:default', kind: 'squashfs'},
    // With --auto-update, which shows the one deliberate difference: LXD 5.0.2 rewrites the record
    // with the request's (empty) filename when the request sets auto_update or public; img keeps the remote's.
    {name: 'spectest/xzonly --auto-update', args: ['feed:spectest/xzonly', '--auto-update'], product: 'spectest:xzonly:amd64:default', known: ['filename']},
    {name: 'spectest/unified', args: ['feed:spectest/unified'], product: 'spectest:unified:amd64:default'},
    {name: 'spectest/vmonly', args: ['feed:spectest/vmonly'], product: 'spectest:vm:amd64:default'},
    // LXD 5.0.2 records no image_type in a source (its images_source table has no such column),
    // so a refresh of a --vm copy could pick the container; img keeps it to refresh the VM.
    {
      name: 'spectest/dual --vm',
      args: ['feed:spectest/dual', '--vm'],
      product: 'spectest:dual:amd64:default',
      kind: 'disk-kvm.img',
      known: ['update_source.image_type'],
    },
    {name: 'spectest/dual (the container)', args: ['feed:spectest/dual'], product: 'spectest:dual:amd64:default', kind: 'squashfs'},
    {name: 'spectest/arm (arm64 from an x86_64 host)', args: ['feed:spectest/arm'], product: 'spectest:arm:arm64:default'},
  ];
  for (const c of cases) {
    test(`${c.name}: the same fingerprint and the same record`, async (t: TestContext) => {
      const want = tree.find(c.product, c.kind);
      const l = await lxcCopy(c.args);
      assert.equal(l.r.code, 0, l.r.stderr);
      assert.match(l.r.stdout, /Image copied successfully!/);
      assert.equal(l.added.length, 1, 'lxc image copy added one image');
      const lxdRec = l.added[0]!;

      home ??= await imgHome();
      const r = await img(home, 'image', 'copy', ...c.args);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.trim(), `Image copied successfully: ${want.fingerprint}`);
      const imgRec = (await imgImages(home)).find((i) => i.fingerprint === want.fingerprint);
      assert.ok(imgRec, 'img stored the image');

      assert.equal(lxdRec.fingerprint, want.fingerprint, "LXD's fingerprint is the tree's");
      assert.equal(imgRec.fingerprint, lxdRec.fingerprint);
      const diffs = differences(lxdRec, imgRec);
      t.diagnostic(diffs.length === 0 ? 'records: no difference' : `records differ: ${diffs.join('; ')}`);
      const known = new Set(c.known ?? []);
      assert.deepEqual(
        diffs.filter((d) => !known.has(d.slice(0, d.indexOf(':')))),
        [],
        'only the deliberate differences',
      );
      // The deliberate ones are what they are said to be, so that a change on either side shows.
      if (known.has('filename')) assert.deepEqual([lxdRec.filename, imgRec.filename], ['', 'lxd.tar.xz']);
      if (known.has('update_source.image_type')) {
        assert.deepEqual([(lxdRec.update_source as Rec).image_type, (imgRec.update_source as Rec).image_type], ['', 'virtual-machine']);
      }
      // What the comparison covers, spelled out (both sides are equal here).
      assert.equal(imgRec.type, want.type);
      assert.deepEqual(imgRec.update_source, {
        ...(lxdRec.update_source as Rec),
        ...(known.has('update_source.image_type') ? {image_type: 'virtual-machine'} : {}),
      });
      assert.equal((imgRec.update_source as Rec).server, server.url);
      assert.equal((imgRec.properties as Rec).serial, want.version);
    });
  }

  /** Both copy `alias` from the feed as it is now: LXD after forgetting its cache of it, img in a fresh store. */
  async function bothRefuse(alias: string): Promise<{lxd: RunResult; img: RunResult; imgHome: string}> {
    forgetLxdFeedCache();
    const l = await lxcCopy([alias]);
    assert.deepEqual(l.added, [], 'LXD stored nothing');
    const h = await imgHome();
    const r = await img(h, 'image', 'copy', alias);
    assert.deepEqual(await imgImages(h), [], 'img stored nothing');
    return {lxd: l.r, img: r, imgHome: h};
  }

  test('a new version whose combined fingerprint is wrong: both refuse it', async (t: TestContext) => {
    // A new serial: LXD downloads nothing for a fingerprint it already has, whatever the feed says.
    const [added] = await tree.addVersion('spectest:split:amd64:default', '20240401_0000');
    const bad = corruptCombined(tree, 'spectest:split:amd64:default', 'squashfs');
    const r = await bothRefuse('feed:spectest/split');
    t.diagnostic(`lxd: ${r.lxd.stderr.trim()} | img: ${r.img.stderr.trim()}`);
    assert.notEqual(r.lxd.code, 0);
    assert.match(r.lxd.stderr, new RegExp(`Image fingerprint doesn't match. Got ${added!.fingerprint} expected ${bad}`));
    assert.equal(r.img.code, 1);
    assert.match(r.img.stderr, new RegExp(`fingerprint mismatch: expected ${bad}, got ${added!.fingerprint}`));
  });

  test('a new version with a wrong item sha256: both refuse it', async (t: TestContext) => {
    const [added] = await tree.addVersion('spectest:arm:arm64:default', '20240401_0000');
    const bad = corruptItemSha256(tree, 'spectest:arm:arm64:default', 'root.squashfs');
    const root = added!.files[1]!;
    const r = await bothRefuse('feed:spectest/arm');
    t.diagnostic(`lxd: ${r.lxd.stderr.trim()} | img: ${r.img.stderr.trim()}`);
    assert.notEqual(r.lxd.code, 0);
    assert.match(r.lxd.stderr, new RegExp(`Hash mismatch for ${server.url}/${root.path}: ${root.sha256} != ${bad}`));
    assert.equal(r.img.code, 1);
    assert.match(r.img.stderr, new RegExp(`root\\.squashfs: sha256 mismatch: expected ${bad}, got ${root.sha256}`));
  });
});
