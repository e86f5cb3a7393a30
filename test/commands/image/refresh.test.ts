// img image refresh (auto-update, explained) and a copy killed mid-download, against a feed of
// real images served over HTTPS on 127.0.0.1 (test CA trusted through NODE_EXTRA_CA_CERTS).
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {existsSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {IMG_BIN, imgAsync, isCleanError, type RunResult} from '../../helpers/cli.js';
import {bigImage, buildFeedTree, defaultSpecs, type FeedTree, type TreeImage} from '../../helpers/feed-tree.js';
import {makeTestCa, StaticServer} from '../../helpers/https.js';
import {tempDir} from '../../helpers/tmp.js';
import type {ImageJson} from '../../helpers/views.js';

const work = tempDir('refresh-');
const PRODUCT = 'spectest:split:amd64:default';
let tree: FeedTree;
let server: StaticServer;
let env: NodeJS.ProcessEnv;
let caFiles: ReturnType<typeof makeTestCa>;
let homes = 0;

const run = (home: string, ...args: string[]): Promise<RunResult> => imgAsync(args, {home, env});

async function home(url = server.url): Promise<string> {
  const h = join(work, `home-${homes++}`);
  const r = await run(h, 'remote', 'add', 'feed', url, '--protocol', 'simplestreams');
  assert.equal(r.code, 0, r.stderr);
  return h;
}

async function info(h: string, ref: string): Promise<ImageJson> {
  const r = await run(h, 'image', 'info', ref, '--format', 'json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as ImageJson;
}

async function fingerprints(h: string): Promise<string[]> {
  const r = await run(h, 'image', 'list', 'local:', '--format', 'json');
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as Array<{fingerprint: string}>).map((i) => i.fingerprint).sort();
}

/** Pretend the last check was `hours` ago, as if the record had aged. */
function agedCheck(h: string, fp: string, hours: number): void {
  const path = join(h, 'images', fp, 'image.json');
  const record = JSON.parse(readFileSync(path, 'utf8')) as ImageJson;
  record.update_check = {outcome: 'up-to-date', ...record.update_check, at: new Date(Date.now() - hours * 3_600_000).toISOString()};
  writeFileSync(path, JSON.stringify(record));
}

before(async () => {
  caFiles = makeTestCa(work);
  const specs = defaultSpecs().filter((s) => s.name === PRODUCT);
  specs[0]!.roots = ['squashfs'];
  specs[0]!.versions = ['20240301_0000'];
  tree = await buildFeedTree(join(work, 'feed'), {specs});
  server = await StaticServer.start(tree.dir, {tls: caFiles});
  env = {NODE_EXTRA_CA_CERTS: caFiles.caCert};
});

after(async () => {
  await server?.stop();
});

describe('img image refresh', () => {
  let h: string;
  let first: TreeImage;

  test('an image copied with --auto-update is up to date while the feed has nothing newer; info says when it was checked', async () => {
    h = await home();
    first = tree.find(PRODUCT);
    assert.equal((await run(h, 'image', 'copy', 'feed:spectest/split', '--alias', 'mine', '--auto-update')).code, 0);
    const r = await run(h, 'image', 'refresh');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^mine: up to date /);
    const text = await run(h, 'image', 'info', 'mine');
    assert.match(text.stdout, /Auto update: enabled/);
    assert.match(text.stdout, /Last check: \d{4}\/\d\d\/\d\d \d\d:\d\d UTC \(up to date\)/);
    assert.match(text.stdout, /Next check: \d{4}\/\d\d\/\d\d \d\d:\d\d UTC/);
    assert.equal((await info(h, 'mine')).update_check?.outcome, 'up-to-date');
  });

  test('an image copied without --auto-update is left alone, and says why', async () => {
    const other = await home();
    assert.equal((await run(other, 'image', 'copy', 'feed:spectest/split', '--alias', 'plain')).code, 0);
    const r = await run(other, 'image', 'refresh', 'plain');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /plain: not an auto-update image/);
  });

  test('--due skips an image checked an hour ago and checks one checked seven hours ago', async () => {
    agedCheck(h, first.fingerprint, 1);
    const skipped = await run(h, 'image', 'refresh', '--due');
    assert.equal(skipped.code, 0, skipped.stderr);
    assert.match(skipped.stdout, /^mine: checked 60 min ago, next check due /);
    agedCheck(h, first.fingerprint, 7);
    const checked = await run(h, 'image', 'refresh', '--due');
    assert.match(checked.stdout, /^mine: up to date/);
  });

  test('with a newer version in the feed, --dry-run says so and changes nothing; refresh moves the alias and removes the old image', async () => {
    const [next] = await tree.addVersion(PRODUCT, '20240401_0000');
    assert.notEqual(next!.fingerprint, first.fingerprint);
    const dry = await run(h, 'image', 'refresh', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`mine: would refresh ${first.fingerprint.slice(0, 12)} → ${next!.fingerprint.slice(0, 12)}`));
    assert.deepEqual(await fingerprints(h), [first.fingerprint]);

    const r = await run(h, 'image', 'refresh');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), `mine: refreshed from ${first.fingerprint} to ${next!.fingerprint}`);
    assert.deepEqual(await fingerprints(h), [next!.fingerprint]);
    const now = await info(h, 'mine');
    assert.equal(now.fingerprint, next!.fingerprint);
    assert.equal(now.auto_update, true);
    assert.equal(now.update_source?.alias, 'spectest/split');
    assert.equal(now.properties.serial, '20240401_0000', "the remote's properties, as LXD takes them");
    assert.equal(now.update_check?.outcome, 'refreshed');

    const again = await run(h, 'image', 'refresh');
    assert.match(again.stdout, /^mine: up to date/);
  });

  test('with the server down it says so, exits 1 and changes nothing', async () => {
    const spare = await StaticServer.start(tree.dir, {tls: caFiles});
    const h2 = await home(spare.url);
    assert.equal((await run(h2, 'image', 'copy', 'feed:spectest/split', '--alias', 'gone', '--auto-update')).code, 0);
    const before = await fingerprints(h2);
    await spare.stop();
    const r = await run(h2, 'image', 'refresh');
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^gone: source unreachable \(cannot reach .*\); nothing changed/);
    assert.deepEqual(await fingerprints(h2), before);
    assert.equal((await info(h2, 'gone')).update_check?.outcome, 'unreachable');
  });

  test('an alias that left the feed is reported, and the image kept', async () => {
    const h3 = await home();
    assert.equal((await run(h3, 'image', 'copy', 'feed:spectest/split/latest', '--alias', 'latest', '--auto-update')).code, 0);
    const saved = tree.specs[0]!.aliases;
    tree.specs[0]!.aliases = ['spectest/split'];
    tree.write();
    try {
      const r = await run(h3, 'image', 'refresh', 'latest');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^latest: the source alias spectest\/split\/latest on .* is gone/);
      assert.equal((await fingerprints(h3)).length, 1);
    } finally {
      tree.specs[0]!.aliases = saved;
      tree.write();
    }
  });
});

describe('a copy killed with -9', () => {
  test('leaves no image in the store, and the next copy resumes the partial file with a range request', async () => {
    const big = await bigImage(tree, 48);
    const h = await home();
    const root = big.files[1]!;
    server.throttle(4 << 20);
    const child = spawn(process.execPath, [IMG_BIN, 'image', 'copy', 'feed:spectest/big'], {env: {...process.env, IMG_HOME: h, ...env}, stdio: 'ignore'});
    const partial = join(h, 'tmp', 'downloads', `${big.fingerprint}.rootfs.partial`);
    const deadline = Date.now() + 60_000;
    while (!(existsSync(partial) && statSync(partial).size > 8 << 20)) {
      assert.ok(Date.now() < deadline, 'the download never got going');
      await new Promise((r) => setTimeout(r, 100));
    }
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    server.throttle(undefined);
    const had = statSync(partial).size;
    assert.ok(had > 0 && had < root.size);
    assert.deepEqual(await fingerprints(h), [], 'no image in the store');

    server.reset();
    const r = await run(h, 'image', 'copy', 'feed:spectest/big', '--alias', 'big');
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await info(h, 'big')).fingerprint, big.fingerprint);
    const get = server.requests.find((q) => q.path.endsWith(root.path.split('/').pop()!) && q.method === 'GET')!;
    assert.match(String(get.headers.range), /^bytes=\d+-$/);
    assert.ok(Number(/\d+/.exec(String(get.headers.range))![0]) >= had - (1 << 20), 'it resumed near where it stopped');
    assert.equal(get.status, 206);
    assert.deepEqual(readdirSync(join(h, 'tmp', 'downloads')), [], 'the partial is gone once imported');
  });

  test('a failed copy is a clean one-line error', async () => {
    const h = await home();
    const r = await run(h, 'image', 'copy', 'feed:no/such/alias');
    assert.equal(r.code, 3);
    assert.ok(isCleanError(r.stderr), r.stderr);
  });
});
