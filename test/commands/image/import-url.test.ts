// img image import <URL>: LXD's direct-URL protocol (lxd-images.md §6) and plain tarball URLs,
// against loopback servers (HTTPS with a test CA that the spawned img trusts, and plain HTTP).
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {mkdirSync, readdirSync, writeFileSync} from 'node:fs';
import type {IncomingMessage, ServerResponse} from 'node:http';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {imgAsync, isCleanError, type RunResult} from '../../helpers/cli.js';
import {makeTestCa, StaticServer, type LoggedRequest} from '../../helpers/https.js';
import {tinyImage} from '../../helpers/store.js';
import {tempDir} from '../../helpers/tmp.js';
import type {ImageJson} from '../../helpers/views.js';

const work = tempDir('import-url-');
const files = join(work, 'files');
const image = tinyImage('from-a-url');
const fingerprint = createHash('sha256').update(image).digest('hex');
let tls: StaticServer;
let plain: StaticServer;
let env: NodeJS.ProcessEnv;
let homes = 0;
const heads: LoggedRequest[] = [];

const run = (home: string, ...args: string[]): Promise<RunResult> => imgAsync(args, {home, env});
const home = (): string => join(work, `home-${homes++}`);

async function stored(h: string): Promise<Array<ImageJson>> {
  const r = await run(h, 'image', 'list', 'local:', '--format', 'json');
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Array<ImageJson>;
}

before(async () => {
  mkdirSync(files, {recursive: true});
  writeFileSync(join(files, 'image.tar'), image);
  writeFileSync(join(files, 'other.tar'), tinyImage('something else'));
  const ca = makeTestCa(work);
  env = {NODE_EXTRA_CA_CERTS: ca.caCert};
  tls = await StaticServer.start(files, {tls: ca});
  plain = await StaticServer.start(files);
  // A direct-URL server: the HEAD answers with the image's hash and where to GET it.
  const direct = (hash: string, url: string | undefined) => (req: IncomingMessage, res: ServerResponse) => {
    heads.push({method: req.method ?? '', path: req.url ?? '', headers: req.headers});
    res.writeHead(200, {'LXD-Image-Hash': hash, ...(url ? {'LXD-Image-URL': url} : {})}).end();
  };
  tls.route('/img/good', direct(fingerprint, `${tls.url}/image.tar`));
  tls.route('/img/relative', direct(fingerprint, '/image.tar'));
  tls.route('/img/lying', direct(fingerprint, `${tls.url}/other.tar`));
  tls.route('/img/no-url', direct(fingerprint, undefined));
  tls.route('/img/downgrade', direct(fingerprint, `${plain.url}/image.tar`));
});

after(async () => {
  await tls?.stop();
  await plain?.stop();
});

describe('img image import <URL>', () => {
  test("the direct-URL protocol: LXD's request headers, the image checked against LXD-Image-Hash, no filename and no source", async () => {
    const h = home();
    const r = await run(h, 'image', 'import', `${tls.url}/img/good`, '--alias', 'web', 'extra=x');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `Image imported with fingerprint: ${fingerprint}\n`);
    const head = heads.at(-1)!;
    assert.equal(head.method, 'HEAD');
    assert.match(String(head.headers['lxd-server-architectures']), /^x86_64(, i686)?$/);
    assert.equal(head.headers['lxd-server-version'], '5.0.2');
    const [img] = await stored(h);
    assert.equal(img!.fingerprint, fingerprint);
    assert.equal(img!.filename, '');
    assert.equal(img!.update_source, undefined);
    assert.equal(img!.properties.extra, 'x');
    assert.deepEqual(
      img!.aliases.map((a) => a.name),
      ['web'],
    );
    assert.deepEqual(readdirSync(join(h, 'tmp', 'downloads')), []);
  });

  test('a relative LXD-Image-URL is taken from the server the HEAD went to', async () => {
    const h = home();
    const r = await run(h, 'image', 'import', `${tls.url}/img/relative`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((await stored(h))[0]!.fingerprint, fingerprint);
  });

  test('a plain tarball URL is imported as it is, keeping its file name', async () => {
    const h = home();
    const r = await run(h, 'image', 'import', `${tls.url}/image.tar`);
    assert.equal(r.code, 0, r.stderr);
    const [img] = await stored(h);
    assert.equal(img!.fingerprint, fingerprint);
    assert.equal(img!.filename, 'image.tar');
  });

  test('plain http works, with one warning', async () => {
    const h = home();
    const r = await run(h, 'image', 'import', `${plain.url}/image.tar`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Warning: http:\/\/127\.0\.0\.1:\d+\/image\.tar: plain http, so nothing proves the image came from that server unchanged\n$/);
  });

  const refusals: Array<[string, string, RegExp, number]> = [
    [
      'an image that is not the one LXD-Image-Hash names',
      '/img/lying',
      new RegExp(`other\\.tar: sha256 mismatch: expected ${fingerprint}, got [0-9a-f]{64}`),
      1,
    ],
    ['a server that gives a hash but no LXD-Image-URL', '/img/no-url', /Missing LXD-Image-URL header/, 1],
    ['an LXD-Image-URL that leaves https for http', '/img/downgrade', /LXD-Image-URL leaves https for http:/, 1],
    ['a URL the server does not have', '/nothing-here.tar', /HTTP 404/, 1],
  ];
  for (const [what, path, message, code] of refusals) {
    test(`refuses ${what}, and the store stays empty`, async () => {
      const h = home();
      const r = await run(h, 'image', 'import', `${tls.url}${path}`);
      assert.equal(r.code, code, r.stderr);
      assert.ok(isCleanError(r.stderr), r.stderr);
      assert.match(r.stderr, message);
      assert.deepEqual(await stored(h), []);
    });
  }

  test('a URL with a second file is a usage error', async () => {
    const r = await run(home(), 'image', 'import', `${tls.url}/image.tar`, 'rootfs.squashfs');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /an image imported from a URL is one unified file/);
  });
});
