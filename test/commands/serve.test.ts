// `img serve` as a process: what it prints, HTTPS with a certificate, direct-URL import by img's
// own client from another store, a store changed by other img processes while it runs, graceful
// shutdown with a download under way, and its refusals.
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {writeFileSync} from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import {fingerprintIn, img, imgAsync} from '../helpers/cli.js';
import {gpgv, makeGpgKey} from '../helpers/gpg.js';
import {makeTestCa, type TestCa} from '../helpers/https.js';
import {sampleStore, type SampleStore} from '../helpers/sample-store.js';
import {bigImage, startServe, type ServeChild} from '../helpers/serve.js';
import {tinyImage} from '../helpers/store.js';
import {tempDir} from '../helpers/tmp.js';
import {request} from '../lib/serve/http.js';

describe('img serve', () => {
  let work: string;
  let sample: SampleStore;
  let ca: TestCa;
  let direct: string;
  const running: ServeChild[] = [];
  const serve = async (args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServeChild> => {
    const s = await startServe(sample.home, args, env);
    running.push(s);
    return s;
  };

  before(() => {
    work = tempDir();
    sample = sampleStore(work);
    ca = makeTestCa(work);
    writeFileSync(join(work, 'direct.tar'), tinyImage('direct'));
    const r = sample.run(['image', 'import', join(work, 'direct.tar'), '--public', '--alias', 'direct']);
    assert.equal(r.code, 0, r.stderr);
    direct = fingerprintIn(r.stdout)!;
  });
  after(async () => {
    await Promise.all(running.map((s) => s.stop('SIGKILL')));
  });

  it('without a certificate: plain HTTP, a warning saying so, one line when listening, then the access log on stdout', async () => {
    const s = await serve();
    assert.match(s.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(s.url, 'http://127.0.0.1:0');
    assert.match(s.stdout(), /^Serving 2 public images on http:\/\/127\.0\.0\.1:\d+\n/);
    assert.match(s.stderr(), /^Warning: .*plain HTTP/m);
    const a = await request(s.url, '/streams/v1/index.json');
    assert.equal(a.status, 200);
    await request(s.url, '/nope');
    await new Promise((r) => setTimeout(r, 100));
    const lines = s.stdout().split('\n').slice(1, 3);
    assert.match(
      lines[0]!,
      new RegExp(`^127\\.0\\.0\\.1 - - \\[\\d{2}/\\w{3}/\\d{4}:\\d{2}:\\d{2}:\\d{2} \\+0000\\] "GET /streams/v1/index.json HTTP/1\\.1" 200 \\d+ \\d+ms$`),
    );
    assert.match(lines[1]!, /"GET \/nope HTTP\/1\.1" 404 \d+ \d+ms$/);
    assert.equal(await s.stop(), 0);
  });

  it('with a certificate: HTTPS, and img image import <url>/img/<alias> from another store gets the image with its fingerprint', async () => {
    const s = await serve(['--tls-cert', ca.cert, '--tls-key', ca.key]);
    assert.match(s.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.doesNotMatch(s.stderr(), /Warning/);
    const other = join(work, 'other');
    const r = await imgAsync(['image', 'import', `${s.url}/img/direct`, '--alias', 'got'], {home: other, env: {NODE_EXTRA_CA_CERTS: ca.caCert}});
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fingerprintIn(r.stdout), direct);
    const info = img(['image', 'info', 'got', '--format', 'json'], {home: other});
    assert.equal((JSON.parse(info.stdout) as {fingerprint: string}).fingerprint, direct);
    assert.match(s.stdout(), /"HEAD \/img\/direct HTTP\/1\.1" 200 /);
    assert.match(s.stdout(), new RegExp(`"GET /files/${direct}/lxd_combined\\.tar\\.gz HTTP/1\\.1" 200 `));
    const split = await imgAsync(['image', 'import', `${s.url}/img/split`], {home: other, env: {NODE_EXTRA_CA_CERTS: ca.caCert}});
    assert.notEqual(split.code, 0, 'a split image cannot go through a direct URL');
    assert.equal(await s.stop(), 0);
  });

  it('with --sign-key: signed documents gpgv accepts; a file that is no key is refused before listening', async () => {
    const key = makeGpgKey(work);
    writeFileSync(join(work, 'sign.asc'), key.secretArmored);
    const s = await serve(['--sign-key', join(work, 'sign.asc')]);
    for (const doc of ['index', 'images']) {
      writeFileSync(join(work, `${doc}.sjson`), (await request(s.url, `/streams/v1/${doc}.sjson`)).body);
      assert.ok(gpgv(key.publicBinary, join(work, `${doc}.sjson`)).ok, doc);
    }
    assert.equal(await s.stop(), 0);
    const notKey = img(['serve', '--sign-key', join(work, 'direct.tar')], {home: sample.home});
    assert.equal(notKey.code, 1, notKey.stderr);
    assert.match(notKey.stderr, /^Error: /m);
    assert.doesNotMatch(notKey.stdout, /Serving/);
  });

  it('answers from the store as other img processes change it', async () => {
    const s = await serve();
    const products = async () => (await request(s.url, '/streams/v1/images.json')).body.toString();
    writeFileSync(join(work, 'later.tar'), tinyImage('later'));
    const added = fingerprintIn(sample.run(['image', 'import', join(work, 'later.tar'), '--public']).stdout)!;
    assert.ok((await products()).includes(added));
    assert.equal((await request(s.url, `/files/${added}/lxd_combined.tar.gz`, {method: 'HEAD'})).status, 200);
    assert.equal(sample.run(['image', 'delete', added]).code, 0);
    assert.ok(!(await products()).includes(added));
    assert.equal((await request(s.url, `/files/${added}/lxd_combined.tar.gz`, {method: 'HEAD'})).status, 404);
    // img image edit rewrites the record inside the image's directory: the private image made public, then private again.
    const edit = (pub: boolean) => {
      const yaml = sample.run(['image', 'show', sample.unified]).stdout.replace(/^public: .*$/m, `public: ${pub}`);
      assert.equal(sample.run(['image', 'edit', sample.unified], yaml).code, 0);
    };
    edit(true);
    assert.equal((await request(s.url, '/img/tiny', {method: 'HEAD'})).headers['lxd-image-hash'], sample.unified);
    assert.ok((await products()).includes(sample.unified));
    edit(false);
    assert.equal((await request(s.url, '/img/tiny', {method: 'HEAD'})).status, 404);
    assert.ok(!(await products()).includes(sample.unified));
    assert.equal(await s.stop(), 0);
  });

  it('on SIGTERM stops accepting, lets a download under way finish, and exits 0', async () => {
    const fp = bigImage(work, sample.home, 48, 'slow');
    const s = await serve();
    const hash = createHash('sha256');
    let received = 0;
    const done = new Promise<number>((resolve, reject) => {
      const req = http.get(`${s.url}/files/${fp}/lxd_combined.tar.gz`, {agent: false}, (res) => {
        assert.equal(res.statusCode, 200);
        // A slow reader: about 12 MiB/s, so the download lasts a few seconds past the signal.
        res.on('data', (c: Buffer) => {
          hash.update(c);
          received += c.length;
          res.pause();
          setTimeout(() => res.resume(), Math.ceil(c.length / (12 << 10)));
        });
        res.on('end', () => resolve(Number(res.headers['content-length'])));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    while (received < 1 << 20) await new Promise((r) => setTimeout(r, 20));
    s.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    await assert.rejects(request(s.url, '/streams/v1/index.json'), /ECONNREFUSED/, 'no new connections once stopping');
    assert.equal(s.child.exitCode, null, 'still running while the download is under way');
    assert.ok(received < 40 << 20, 'the download is still under way');
    const length = await done;
    assert.equal(received, length);
    assert.equal(hash.digest('hex'), fp);
    assert.equal(await s.exited, 0);
    assert.match(s.stderr(), /SIGTERM/);
    assert.match(s.stdout(), new RegExp(`"GET /files/${fp}/lxd_combined\\.tar\\.gz HTTP/1\\.1" 200 \\d+ \\d+ms\\n`));
    assert.equal(img(['image', 'delete', fp], {home: sample.home}).code, 0);
  });

  it('refuses a bad --listen, half a certificate, and an address in use, each in one line', async () => {
    const bad = img(['serve', '--listen', 'nonsense:port'], {home: sample.home});
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /^Error: --listen nonsense:port/m);
    const half = img(['serve', '--tls-cert', ca.cert], {home: sample.home});
    assert.equal(half.code, 2, half.stderr);
    const taken = net.createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const busy = await imgAsync(['serve', '--listen', `127.0.0.1:${port}`], {home: sample.home});
      assert.equal(busy.code, 1, busy.stderr);
      assert.match(busy.stderr, new RegExp(`^Error: cannot listen on 127\\.0\\.0\\.1:${port}: the address is in use$`, 'm'));
      assert.doesNotMatch(busy.stderr, /\n\s+at /);
    } finally {
      taken.close();
    }
  });
});
