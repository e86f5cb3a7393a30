// img serve's server over a real store, in this process: the simplestreams documents and files,
// direct-URL import, the page, what a private image looks like (nothing), the request-path
// rules, HEAD/Range/ETag/304, the access log, and a catalog that follows the store.
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {rmSync, symlinkSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import type {AccessEntry} from '../../../src/lib/serve/access-log.js';
import {serveRoutes} from '../../../src/lib/serve/routes.js';
import {startServer, type RunningServer} from '../../../src/lib/serve/server.js';
import type {Route} from '../../../src/lib/serve/types.js';
import {parseProducts} from '../../../src/lib/simplestreams/products.js';
import {loadSigner} from '../../../src/lib/sign/signer.js';
import {createAlias} from '../../../src/lib/store/aliases.js';
import {importImage} from '../../../src/lib/store/import.js';
import {Store} from '../../../src/lib/store/store.js';
import {gpgv, makeGpgKey, type GpgKey} from '../../helpers/gpg.js';
import {sampleFiles} from '../../helpers/sample-store.js';
import {tinyImage} from '../../helpers/store.js';
import {tempDir} from '../../helpers/tmp.js';
import {request} from './http.js';

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

describe('img serve: the server', () => {
  let work: string;
  let store: Store;
  let server: RunningServer;
  let split: string;
  let unified: string;
  let secret: string;
  let key: GpgKey;
  const log: AccessEntry[] = [];
  const errors: unknown[] = [];
  const get = (path: string, headers: Record<string, string> = {}, method = 'GET') => request(server.url, path, {headers, method});

  before(async () => {
    work = tempDir();
    const files = sampleFiles(join(work, 'files'));
    store = new Store({home: join(work, 'home')});
    split = (await importImage(store, [{path: files.meta}, {path: files.root}], {public: true, aliases: ['split']})).fingerprint;
    unified = (await importImage(store, [{path: files.unified}], {public: true, aliases: ['tiny'], properties: {os: 'Tinyos', release: '2.0'}})).fingerprint;
    writeFileSync(join(work, 'private.tar'), tinyImage('private'));
    secret = (await importImage(store, [{path: join(work, 'private.tar')}], {aliases: ['secret']})).fingerprint;
    key = makeGpgKey(work);
    writeFileSync(join(work, 'key.asc'), key.secretArmored);
    const signer = await loadSigner(join(work, 'key.asc'));
    const boom: Route = async (r) => {
      if (r.path !== '/boom') return false;
      throw new Error('a bug with a secret stack');
    };
    server = await startServer({
      store,
      listen: {host: '127.0.0.1', port: 0},
      routes: [...serveRoutes({signer}), boom],
      onAccess: (e) => log.push(e),
      onError: (e) => errors.push(e),
    });
  });
  after(async () => {
    await server?.close(1000);
  });

  it('serves the public images as a simplestreams feed whose every item is served with its size and sha256', async () => {
    const index = await get('/streams/v1/index.json');
    assert.equal(index.status, 200);
    assert.equal(index.headers['content-type'], 'application/json');
    const entry = (JSON.parse(index.body.toString()) as {index: {images: {path: string; products: string[]}}}).index.images;
    assert.equal(entry.path, 'streams/v1/images.json');
    const products = await get(`/${entry.path}`);
    const set = parseProducts(JSON.parse(products.body.toString()));
    assert.deepEqual(set.images.map((i) => i.fingerprint).sort(), [split, unified].sort());
    assert.ok(set.aliases.some((a) => a.name === 'tiny' && a.fingerprint === unified));
    for (const image of set.images) {
      for (const f of image.files) {
        assert.match(f.path, new RegExp(`^files/${image.fingerprint}/[a-z0-9._]+$`));
        const file = await get(`/${f.path}`);
        assert.equal(file.status, 200, f.path);
        assert.equal(file.body.length, f.size);
        assert.equal(sha256(file.body), f.sha256);
        assert.equal(file.headers.etag, `"${f.sha256}"`);
      }
    }
  });

  it('never shows a private image: not in the feed, not on the page, its files and aliases not found, its fingerprint never echoed', async () => {
    for (const path of ['/streams/v1/index.json', '/streams/v1/images.json', '/streams/v1/images.sjson']) {
      const a = await get(path);
      assert.equal(a.status, 200);
      assert.ok(!a.body.toString().includes(secret.slice(0, 12)), path);
      assert.ok(!a.body.toString().includes('secret'), path);
    }
    const page = await get('/', {accept: 'text/html'});
    assert.ok(!page.body.toString().includes(secret.slice(0, 12)));
    for (const path of [`/files/${secret}/lxd_combined.tar.gz`, `/files/${secret}/unified`, '/img/secret', `/img/${secret}`, `/img/${secret.slice(0, 8)}`]) {
      const a = await get(path);
      assert.equal(a.status, 404, path);
      assert.ok(!a.body.toString().includes(secret.slice(0, 8)), `${path}: ${a.body.toString()}`);
    }
  });

  it('answers /img/<alias> with LXD-Image-Hash and LXD-Image-URL for a unified image, and the file on GET', async () => {
    for (const name of ['tiny', unified, unified.slice(0, 12)]) {
      const head = await get(`/img/${name}`, {'LXD-Server-Architectures': 'x86_64, i686'}, 'HEAD');
      assert.equal(head.status, 200, name);
      assert.equal(head.headers['lxd-image-hash'], unified);
      assert.equal(head.headers['lxd-image-url'], `${server.url}/files/${unified}/lxd_combined.tar.gz`);
      assert.equal(head.body.length, 0);
    }
    const target = await get(`/files/${unified}/lxd_combined.tar.gz`);
    assert.equal(sha256(target.body), unified);
    const body = await get('/img/tiny');
    assert.equal(sha256(body.body), unified);
    // The Host header the client used is the origin of the URL it is given back.
    const viaName = await get('/img/tiny', {host: `localhost:${server.address.port}`}, 'HEAD');
    assert.equal(viaName.headers['lxd-image-url'], `http://localhost:${server.address.port}/files/${unified}/lxd_combined.tar.gz`);
    const forged = await get('/img/tiny', {host: 'evil"/x'}, 'HEAD');
    assert.equal(forged.headers['lxd-image-url'], `${server.url}/files/${unified}/lxd_combined.tar.gz`);
    const splitOne = await get('/img/split', {}, 'HEAD');
    assert.equal(splitOne.status, 404);
    assert.equal(splitOne.headers['lxd-image-hash'], undefined);
  });

  it('refuses paths that climb, and never serves a file outside the images; an encoded slash is a slash', async () => {
    const encoded = await get(`/files/${unified}%2Flxd_combined.tar.gz`, {}, 'HEAD');
    assert.equal(encoded.status, 200);
    assert.equal(encoded.headers.etag, `"${unified}"`);
    const attempts = [
      '/files/../home/aliases.json',
      `/files/${unified}/../../aliases.json`,
      '/files/%2e%2e/aliases.json',
      '/files/%2E%2E%2Faliases.json',
      `/files/${unified}%2f..%2f..%2faliases.json`,
      `/files/${unified}/unified`,
      `/files/${unified}/image.json`,
      `/files/${unified}/`,
      `/files/${unified}`,
      '/files/',
      '/streams/v1/',
      '/streams/v1/../../aliases.json',
      '/img/..%5c..%5caliases.json',
      '/img/tiny%00',
      '/%zz',
      '/streams/v1/index.json\\..',
      '//etc/passwd',
      '/etc/passwd',
    ];
    for (const path of attempts) {
      const a = await get(path);
      assert.ok(a.status === 400 || a.status === 404, `${path}: ${a.status}`);
      assert.ok(a.body.length < 200, path);
      assert.ok(!a.body.toString().includes(unified), path);
    }
  });

  it('does not follow a symlink planted in the store', async () => {
    writeFileSync(join(work, 'planted.tar'), tinyImage('planted'));
    const planted = (await importImage(store, [{path: join(work, 'planted.tar')}], {public: true})).fingerprint;
    const file = store.filePath(planted, 'unified');
    rmSync(file);
    symlinkSync('/etc/passwd', file);
    for (const path of [`/files/${planted}/lxd_combined.tar.gz`, `/img/${planted}`]) {
      const a = await get(path);
      assert.equal(a.status, 404, path);
      assert.ok(!a.body.toString().includes('root:'), path);
    }
    assert.deepEqual(errors, []);
    await store.deleteImage(planted);
  });

  it('takes GET and HEAD only (405 with Allow), and a bug is a bare 500', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
      const a = await get('/streams/v1/index.json', {}, method);
      assert.equal(a.status, 405, method);
      assert.equal(a.headers.allow, 'GET, HEAD');
    }
    const boom = await get('/boom');
    assert.equal(boom.status, 500);
    assert.equal(boom.body.toString(), 'internal error\n');
    assert.equal(errors.length, 1);
    errors.length = 0;
  });

  it('HEAD, ETag and If-None-Match on documents', async () => {
    const full = await get('/streams/v1/images.json');
    const head = await get('/streams/v1/images.json', {}, 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    assert.equal(Number(head.headers['content-length']), full.body.length);
    assert.equal(full.headers.etag, `"${sha256(full.body)}"`);
    const again = await get('/streams/v1/images.json', {'if-none-match': full.headers.etag!});
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    assert.equal(again.headers.etag, full.headers.etag);
    assert.equal((await get('/streams/v1/images.json', {'if-none-match': '"other", W/' + full.headers.etag})).status, 304);
    assert.equal((await get('/streams/v1/images.json', {'if-none-match': '"other"'})).status, 200);
  });

  it('byte ranges on files: 206 with Content-Range, suffix and open ranges, 416 past the end, If-Range, several ranges as the whole file', async () => {
    const path = `/files/${unified}/lxd_combined.tar.gz`;
    const whole = (await get(path)).body;
    const size = whole.length;
    const part = await get(path, {range: 'bytes=10-99'});
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 10-99/${size}`);
    assert.equal(part.headers['content-length'], '90');
    assert.deepEqual(part.body, whole.subarray(10, 100));
    const tail = await get(path, {range: 'bytes=-100'});
    assert.deepEqual(tail.body, whole.subarray(size - 100));
    const open = await get(path, {range: `bytes=${size - 5}-`});
    assert.deepEqual(open.body, whole.subarray(size - 5));
    const clipped = await get(path, {range: `bytes=0-${size + 1000}`});
    assert.equal(clipped.status, 206);
    assert.equal(clipped.body.length, size);
    const past = await get(path, {range: `bytes=${size}-`});
    assert.equal(past.status, 416);
    assert.equal(past.headers['content-range'], `bytes */${size}`);
    const stale = await get(path, {range: 'bytes=0-9', 'if-range': '"not-this-one"'});
    assert.equal(stale.status, 200);
    assert.equal(stale.body.length, size);
    const fresh = await get(path, {range: 'bytes=0-9', 'if-range': `"${unified}"`});
    assert.equal(fresh.status, 206);
    const several = await get(path, {range: 'bytes=0-9,20-29'});
    assert.equal(several.status, 200);
    assert.equal(several.body.length, size);
    const head = await get(path, {range: 'bytes=0-9'}, 'HEAD');
    assert.equal(head.status, 206);
    assert.equal(head.body.length, 0);
    assert.equal((await get(path, {'if-none-match': `"${unified}"`})).status, 304);
    assert.equal(head.headers['accept-ranges'], 'bytes');
  });

  it('serves signed documents that gpgv accepts, each signed once per generation', async () => {
    for (const doc of ['index', 'images']) {
      const sjson = await get(`/streams/v1/${doc}.sjson`);
      assert.equal(sjson.status, 200);
      writeFileSync(join(work, `${doc}.sjson`), sjson.body);
      assert.ok(gpgv(key.publicBinary, join(work, `${doc}.sjson`)).ok, doc);
      const json = await get(`/streams/v1/${doc}.json`);
      const gpg = await get(`/streams/v1/${doc}.json.gpg`);
      writeFileSync(join(work, `${doc}.json`), json.body);
      writeFileSync(join(work, `${doc}.json.gpg`), gpg.body);
      assert.ok(gpgv(key.publicBinary, join(work, `${doc}.json.gpg`), join(work, `${doc}.json`)).ok, doc);
      assert.deepEqual((await get(`/streams/v1/${doc}.sjson`)).body, sjson.body);
    }
    const signedIndex = (await get('/streams/v1/index.sjson')).body.toString();
    assert.match(signedIndex, /"path": "streams\/v1\/images\.sjson"/);
  });

  it('gives browsers the page at / (Vary: Accept) and leaves / to later routes for everyone else', async () => {
    const page = await get('/', {accept: 'text/html,application/xhtml+xml,*/*;q=0.8'});
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type']!, /^text\/html/);
    assert.equal(page.headers.vary, 'Accept');
    assert.ok(page.body.toString().includes(unified.slice(0, 12)));
    assert.ok(page.body.toString().includes(`href="files/${split}/`));
    const json = await get('/', {accept: 'application/json'});
    assert.equal(json.status, 404);
    assert.equal(json.headers.vary, 'Accept');
  });

  it('logs every request: address, method, target, status, bytes, time', async () => {
    log.length = 0;
    await get('/streams/v1/index.json');
    await get('/nothing-here');
    const [ok, missing] = log;
    assert.equal(ok?.remote, '127.0.0.1');
    assert.equal(ok?.method, 'GET');
    assert.equal(ok?.target, '/streams/v1/index.json');
    assert.equal(ok?.status, 200);
    assert.ok(ok!.bytes > 100);
    assert.ok(ok!.ms >= 0);
    assert.equal(missing?.status, 404);
  });

  it('follows the store: an image made private, a new alias, a new image and a deleted one are seen by the next request', async () => {
    const names = async () => parseProducts(JSON.parse((await get('/streams/v1/images.json')).body.toString())).images.map((i) => i.fingerprint);
    const before = (await server.catalog.current()).generation;
    assert.equal(await server.catalog.current(), await server.catalog.current());
    await store.updateRecord(split, (r) => ({...r, public: false}));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(await names(), [unified]);
    assert.equal((await get(`/files/${split}/root.squashfs`)).status, 404);
    assert.notEqual((await server.catalog.current()).generation, before);
    await store.updateRecord(split, (r) => ({...r, public: true}));
    await createAlias(store, 'another', unified);
    assert.equal((await get('/img/another', {}, 'HEAD')).headers['lxd-image-hash'], unified);
    writeFileSync(join(work, 'new.tar'), tinyImage('new one'));
    const added = (await importImage(store, [{path: join(work, 'new.tar')}], {public: true})).fingerprint;
    assert.ok((await names()).includes(added));
    await store.deleteImage(added);
    assert.ok(!(await names()).includes(added));
    assert.equal((await get(`/files/${added}/lxd_combined.tar.gz`)).status, 404);
  });
});
