// The LXD API route on its own: a loopback server hands it a minimal ServeRequest over a catalog of
// hand-made images, and the answers are compared byte for byte with what LXD 5.0.2 sent (the
// alias ETag below was served by a real LXD 5.0.2 for this very alias).
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {createReadStream, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import {join} from 'node:path';
import {pipeline} from 'node:stream/promises';
import {after, before, describe, test} from 'node:test';
import {LXD_EXPORT_PARTS, multipartBoundary, parseMultipart} from '../../../src/lib/http/multipart.js';
import type {FileRole, ImageView} from '../../../src/lib/image/types.js';
import {lxdRoute} from '../../../src/lib/serve/lxd-api.js';
import {LXD_API_EXTENSIONS} from '../../../src/lib/serve/lxd-extensions.js';
import {goJson} from '../../../src/lib/serve/lxd-json.js';
import type {Catalog, FileAnswer, ServeRequest} from '../../../src/lib/serve/types.js';
import {tempDir} from '../../helpers/tmp.js';
import {alias, LXD_IMAGE_FIELDS, view} from '../../helpers/views.js';

const FP = {
  uni: 'e8020248d2265da45683f6fe4ca8aeea19408741d61013d92a8b346faad92284',
  split: 'e80aa11b000000000000000000000000000000000000000000000000000000a1',
  vm: '5b000000000000000000000000000000000000000000000000000000000000b2',
  hidden: 'efea0b39c500dbb40f4977c8984dbc92eb79c6c2b785a8c19d51469aaf090ded',
};
const work = tempDir();
const bytes = (seed: number, n: number) => {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 255;
  return b;
};
// Larger than what the loopback socket buffers, so that a client can leave in the middle of it.
const BIG = 32 << 20;
const FILES: Record<string, Partial<Record<FileRole, Buffer>>> = {
  [FP.uni]: {unified: bytes(1, 271)},
  [FP.split]: {metadata: bytes(2, 400), rootfs: bytes(3, BIG)},
  [FP.vm]: {metadata: bytes(4, 200), rootfs: bytes(5, 5000)},
  [FP.hidden]: {unified: bytes(6, 308)},
};
const file = (role: FileRole, fp: string, extension: string) => ({
  role,
  size: FILES[fp]![role]!.length,
  kind: 'tar' as const,
  compression: 'gzip' as const,
  extension,
});

const IMAGES: ImageView[] = [
  view({
    fingerprint: FP.uni,
    public: true,
    size: 271,
    filename: 'u.tar.gz',
    properties: {os: 't', description: 'a <b> & c'},
    aliases: alias('pub-u'),
    files: [file('unified', FP.uni, '.tar.gz')],
  }),
  view({
    fingerprint: FP.split,
    public: true,
    size: BIG + 400,
    filename: 'r.squashfs',
    properties: {os: 'sq', release: 'two words'},
    aliases: alias('pub/split'),
    update_source: {alias: 'x', certificate: '', protocol: 'simplestreams', server: 'https://origin.example', image_type: ''},
    update_check: {at: '2026-01-01T00:00:00Z', outcome: 'up-to-date'},
    files: [file('metadata', FP.split, '.tar.xz'), {...file('rootfs', FP.split, '.squashfs'), kind: 'squashfs', compression: 'none'}],
  }),
  view({
    fingerprint: FP.vm,
    type: 'virtual-machine',
    public: true,
    size: 5200,
    aliases: alias('pub-vm'),
    files: [file('metadata', FP.vm, '.tar.xz'), {...file('rootfs', FP.vm, '.qcow2'), kind: 'qcow2', compression: 'none'}],
  }),
  view({fingerprint: FP.hidden, public: false, size: 308, aliases: alias('priv'), files: [file('unified', FP.hidden, '.tar.xz')]}),
];

for (const [fp, roles] of Object.entries(FILES)) {
  mkdirSync(join(work, fp));
  for (const [role, data] of Object.entries(roles)) writeFileSync(join(work, fp, role), data);
}

/** As the real catalog promises: public images only, and a prefix finds one image or none. */
function catalogOf(all: ImageView[]): Catalog {
  const images = all.filter((i) => i.public);
  return {
    images,
    feed: [],
    aliases: images.flatMap((i) => i.aliases.map((a) => ({...a, target: i.fingerprint}))),
    find(prefix) {
      const m = images.filter((i) => i.fingerprint.startsWith(prefix));
      return m.length === 1 ? m[0] : undefined;
    },
    filePath: (fp, role) => join(work, fp, role),
    generation: '1',
  };
}

const files: FileAnswer[] = [];
let settled: Promise<boolean> | undefined;
let served: {bytesWritten: number} | undefined;

function fakeRequest(req: http.IncomingMessage, res: http.ServerResponse, catalog: Catalog): ServeRequest {
  const url = new URL(req.url ?? '/', 'http://x');
  const text = (status: number, body: string | Buffer, contentType: string, headers: Record<string, string> = {}) => {
    // As the server's: the route's ETag, else the body's hash.
    const etag = `"${createHash('sha256').update(body).digest('hex')}"`;
    res.writeHead(status, {'content-type': contentType, 'content-length': Buffer.byteLength(body), etag, ...headers});
    res.end(req.method === 'HEAD' ? undefined : body);
  };
  return {
    req,
    res,
    path: decodeURIComponent(url.pathname),
    query: url.searchParams,
    catalog,
    origin: 'https://127.0.0.1',
    text,
    json: (status, body, headers) => text(status, JSON.stringify(body), 'application/json', headers),
    async file(path, answer) {
      files.push(answer);
      res.writeHead(200, {'content-type': answer.contentType ?? '', 'content-length': answer.size, etag: answer.etag, ...answer.headers});
      if (req.method === 'HEAD') return void res.end();
      await pipeline(createReadStream(path), res);
    },
  };
}

describe('the LXD API route (lxdRoute)', () => {
  let server: http.Server;
  let base: string;
  before(async () => {
    const catalog = catalogOf(IMAGES);
    server = http.createServer((req, res) => {
      served = req.socket;
      settled = lxdRoute(fakeRequest(req, res, catalog));
      settled.then(
        (handled) => void (handled || res.writeHead(599).end()),
        (err: unknown) => void res.writeHead(500).end(String(err)),
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const get = async (path: string, init: RequestInit = {}) => {
    const res = await fetch(base + path, init);
    return {status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer())};
  };
  const json = async (path: string) => {
    const r = await get(path);
    return {...r, json: JSON.parse(r.body.toString()) as {metadata: unknown; error: string; error_code: number}};
  };
  const lxdError = (code: number, message: string) =>
    `{"type":"error","status":"","status_code":0,"operation":"","error_code":${code},"error":${JSON.stringify(message)},"metadata":null}\n\n`;

  test('/ is the list of API versions, in LXD’s bytes; a browser’s / is left to the web page', async () => {
    const r = await get('/');
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-type'), 'application/json');
    assert.equal(r.body.toString(), '{"type":"sync","status":"Success","status_code":200,"operation":"","error_code":0,"error":"","metadata":["/1.0"]}\n');
    assert.equal((await get('/', {headers: {accept: 'text/html,application/xhtml+xml'}})).status, 599);
    assert.equal((await get('/2.0')).status, 599, 'paths outside the API are not its own');
    assert.equal((await get('/streams/v1/index.json')).status, 599);
  });

  test('/1.0 has the untrusted shape of LXD 5.0.2, key for key', async () => {
    const lxd = JSON.parse(readFileSync(new URL('../../fixtures/lxd/untrusted-1.0.json', import.meta.url), 'utf8')) as {metadata: Record<string, unknown>};
    const r = await json('/1.0');
    const info = r.json.metadata as Record<string, unknown>;
    assert.deepEqual(Object.keys(info), Object.keys(lxd.metadata));
    assert.deepEqual(info, {...lxd.metadata, api_extensions: LXD_API_EXTENSIONS, public: true});
    assert.ok(
      LXD_API_EXTENSIONS.every((e) => (lxd.metadata.api_extensions as string[]).includes(e)),
      'only extensions LXD 5.0.2 has',
    );
    assert.equal((await json('/1.0?project=default')).status, 200);
  });

  test('/1.0/images lists the public images only; ?recursion=1 gives LXD’s image objects', async () => {
    const urls = (await json('/1.0/images')).json.metadata;
    assert.deepEqual(
      urls,
      [FP.uni, FP.split, FP.vm].map((fp) => `/1.0/images/${fp}`),
    );
    const r = await get('/1.0/images?recursion=1&project=default');
    assert.ok(!r.body.toString().includes(FP.hidden) && !r.body.toString().includes('priv'), 'the private image is not in the list');
    const objects = (JSON.parse(r.body.toString()) as {metadata: Record<string, unknown>[]}).metadata;
    assert.deepEqual(
      objects.map((o) => o.fingerprint),
      [FP.uni, FP.split, FP.vm],
    );
    const fields = LXD_IMAGE_FIELDS.filter((f) => f !== 'files');
    assert.deepEqual(Object.keys(objects[0]!), fields);
    // update_source goes between size and type, as LXD writes it; img's own update_check stays home.
    assert.deepEqual(Object.keys(objects[1]!), [...fields.slice(0, 11), 'update_source', ...fields.slice(11)]);
    // Go sorts map keys, and LXD's answers do not escape HTML.
    assert.ok(r.body.toString().includes('"properties":{"description":"a <b> & c","os":"t"}'));
    assert.deepEqual((await json('/1.0/images?recursion=2')).json.metadata, objects);
    assert.equal((await json('/1.0/images?project=elsewhere')).json.error, 'Project not found');
  });

  test('?filter= as LXD reads it: eq, ne, not, and, or, quoted values; a broken one is LXD’s 500', async () => {
    const fps = async (filter: string) => (await json(`/1.0/images?filter=${encodeURIComponent(filter)}`)).json.metadata;
    assert.deepEqual(await fps('type eq virtual-machine'), [`/1.0/images/${FP.vm}`]);
    assert.deepEqual(await fps('properties.os eq t or properties.os eq sq'), [`/1.0/images/${FP.uni}`, `/1.0/images/${FP.split}`]);
    assert.deepEqual(await fps('not properties.os eq t and architecture eq x86_64'), [`/1.0/images/${FP.split}`, `/1.0/images/${FP.vm}`]);
    assert.deepEqual(await fps('properties.release eq "two words"'), [`/1.0/images/${FP.split}`]);
    assert.deepEqual(await fps('public ne true'), []);
    assert.deepEqual(await fps(`fingerprint eq ${FP.hidden}`), []);
    const recursive = (await json(`/1.0/images?recursion=1&filter=${encodeURIComponent('size eq 5200')}`)).json.metadata as Array<{fingerprint: string}>;
    assert.deepEqual(
      recursive.map((o) => o.fingerprint),
      [FP.vm],
    );
    const bad = await get('/1.0/images?filter=bogus');
    assert.equal(bad.status, 500);
    assert.equal(bad.body.toString(), lxdError(500, 'Invalid filter: clause has no operator'));
  });

  test('/1.0/images/<fp or prefix>: the object, with an ETag that covers all of it; an ambiguous prefix is LXD’s 500', async () => {
    const r = await json(`/1.0/images/${FP.uni}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('etag'), `"${createHash('sha256').update(r.body).digest('hex')}"`);
    assert.equal((r.json.metadata as {fingerprint: string}).fingerprint, FP.uni);
    assert.deepEqual((await json(`/1.0/images/${FP.uni.slice(0, 12).toUpperCase()}`)).json.metadata, r.json.metadata);
    assert.equal((await json(`/1.0/images/${FP.split.slice(0, 5)}`)).status, 200);
    const ambiguous = await get('/1.0/images/e80');
    assert.equal(ambiguous.status, 500);
    assert.equal(ambiguous.body.toString(), lxdError(500, 'More than one image matches'));
  });

  test('a private image is exactly a missing one, by fingerprint, prefix, alias and export, and is never named', async () => {
    const missing = await get(`/1.0/images/${'0'.repeat(64)}`);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('content-type'), 'application/json');
    assert.equal(missing.body.toString(), lxdError(404, 'Image not found'));
    for (const path of [FP.hidden, FP.hidden.slice(0, 12), `${FP.hidden}/export`, `${FP.hidden.slice(0, 8)}/export`, 'not-hex']) {
      const r = await get(`/1.0/images/${path}`);
      assert.equal(r.status, 404, path);
      assert.deepEqual(r.body, missing.body, path);
    }
    const alias = await get('/1.0/images/aliases/priv');
    assert.equal(alias.status, 404);
    assert.equal(alias.body.toString(), lxdError(404, 'Image alias not found'));
    assert.deepEqual(alias.body, (await get('/1.0/images/aliases/no-such')).body);
    const head = await get(`/1.0/images/${FP.hidden}`, {method: 'HEAD'});
    assert.equal(head.status, 404);
    assert.equal(head.body.length, 0);
  });

  test('/1.0/images/aliases/<name>: LXD’s alias object and ETag; a name with slashes, encoded or not', async () => {
    const r = await get('/1.0/images/aliases/pub-u');
    assert.equal(r.headers.get('etag'), '"ac76b7dac50f90ad896f5111015748f0653da19045bfb77c6cbfd2b469289325"');
    assert.equal(
      r.body.toString(),
      `{"type":"sync","status":"Success","status_code":200,"operation":"","error_code":0,"error":"","metadata":{"description":"","target":"${FP.uni}","name":"pub-u","type":"container"}}\n`,
    );
    for (const path of ['pub/split', 'pub%2Fsplit']) {
      assert.deepEqual((await json(`/1.0/images/aliases/${path}`)).json.metadata, {description: '', target: FP.split, name: 'pub/split', type: 'container'});
    }
    assert.equal(((await json('/1.0/images/aliases/pub-vm')).json.metadata as {type: string}).type, 'virtual-machine');
  });

  test('/1.0/images/aliases lists the public aliases (LXD refuses the list to strangers; img has nothing to hide there)', async () => {
    assert.deepEqual((await json('/1.0/images/aliases')).json.metadata, [
      '/1.0/images/aliases/pub-u',
      '/1.0/images/aliases/pub%2Fsplit',
      '/1.0/images/aliases/pub-vm',
    ]);
    const objects = (await json('/1.0/images/aliases?recursion=1')).json.metadata as Array<{name: string; target: string}>;
    assert.deepEqual(
      objects.map((o) => [o.name, o.target]),
      [
        ['pub-u', FP.uni],
        ['pub/split', FP.split],
        ['pub-vm', FP.vm],
      ],
    );
  });

  test('a unified export is the file, named as LXD names it', async () => {
    files.length = 0;
    const r = await get(`/1.0/images/${FP.uni.slice(0, 10)}/export`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, FILES[FP.uni]!.unified);
    assert.equal(r.headers.get('content-disposition'), `inline;filename=${FP.uni}.tar.gz`);
    assert.deepEqual(files, [
      {size: 271, etag: `"${FP.uni}"`, contentType: 'application/octet-stream', headers: {'content-disposition': `inline;filename=${FP.uni}.tar.gz`}},
    ]);
  });

  for (const [key, root] of [
    ['split', 'rootfs'],
    ['vm', 'rootfs.img'],
  ] as const) {
    test(`a ${key} export is multipart/form-data: metadata then ${root}, as LXD’s client reads it`, async () => {
      const fp = FP[key];
      const r = await get(`/1.0/images/${fp}/export`, {headers: {range: 'bytes=0-0'}});
      assert.equal(r.status, 200, 'a range is ignored, as LXD ignores it here');
      const type = r.headers.get('content-type') ?? '';
      const boundary = multipartBoundary(type);
      assert.match(boundary ?? '', /^[0-9a-f]{60}$/);
      assert.equal(Number(r.headers.get('content-length')), r.body.length);
      const parts: Array<{name: string; filename: string; data: Buffer}> = [];
      async function* pieces() {
        for (let i = 0; i < r.body.length; i += 777) yield r.body.subarray(i, i + 777);
      }
      for await (const part of parseMultipart(pieces(), {boundary: boundary!, names: LXD_EXPORT_PARTS})) {
        const chunks: Buffer[] = [];
        for await (const c of part.body) chunks.push(Buffer.from(c));
        parts.push({name: part.name, filename: part.filename, data: Buffer.concat(chunks)});
      }
      const ext = key === 'vm' ? '.qcow2' : '.squashfs';
      assert.deepEqual(
        parts.map((p) => [p.name, p.filename]),
        [
          ['metadata', `meta-${fp}.tar.xz`],
          [root, `${fp}${ext}`],
        ],
      );
      assert.deepEqual(parts[0]!.data, FILES[fp]!.metadata);
      assert.deepEqual(parts[1]!.data, FILES[fp]!.rootfs);
      assert.ok(r.body.toString('latin1').endsWith(`\r\n--${boundary}--\r\n`));
      const head = await get(`/1.0/images/${fp}/export`, {method: 'HEAD'});
      assert.equal(head.status, 200);
      assert.equal(head.body.length, 0);
      assert.equal(head.headers.get('content-length'), r.headers.get('content-length'));
    });
  }

  test('a client that leaves in the middle of a multipart export ends the answer, short of the whole', async () => {
    // A connection of its own, so that the bytes written on it are this answer's.
    await new Promise<void>((resolve, reject) => {
      http
        .get(`${base}/1.0/images/${FP.split}/export`, {agent: false}, (res) => {
          res.once('data', () => {
            res.destroy();
            resolve();
          });
        })
        .on('error', reject);
    });
    assert.equal(await settled, true);
    assert.ok(served !== undefined && served.bytesWritten < BIG, `${served?.bytesWritten} of ${BIG} bytes were written`);
  });

  test('writes are "not authorized", trusted-only endpoints too; unknown paths are "not found"', async () => {
    for (const [method, path] of [
      ['POST', '/1.0/images'],
      ['PUT', '/1.0'],
      ['DELETE', `/1.0/images/${FP.uni}`],
      ['PATCH', `/1.0/images/aliases/pub-u`],
      ['POST', `/1.0/images/${FP.uni}/secret`],
      ['GET', `/1.0/images/${FP.uni}/secret`],
      ['GET', '/1.0/instances'],
      ['GET', '/1.0/operations'],
      ['GET', '/1.0/events'],
      ['GET', '/1.0/certificates'],
    ] as const) {
      const r = await get(path, {method});
      assert.equal(r.status, 403, `${method} ${path}`);
      assert.equal(r.body.toString(), lxdError(403, 'not authorized'));
    }
    for (const [method, path] of [
      ['GET', '/1.0/'],
      ['GET', '/1.0/nothing'],
      ['POST', '/1.0/nothing'],
      ['GET', '/1.0/images/'],
      ['GET', `/1.0/images/${FP.uni}/nothing`],
    ] as const) {
      const r = await get(path, {method});
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(r.body.toString(), lxdError(404, 'not found'));
      assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    }
  });
});

describe('goJson (Go’s encoding/json)', () => {
  test('HTML escaping as Go’s default; U+2028/2029 and \\b \\f as Go 1.19 writes them; a literal backslash stays', () => {
    const value = {a: '<x> & \u2028\u2029 \b\f \\b \\\\f "q"'};
    assert.equal(goJson(value, false), '{"a":"<x> & \\u2028\\u2029 \\u0008\\u000c \\\\b \\\\\\\\f \\"q\\""}');
    assert.equal(goJson(value, true), '{"a":"\\u003cx\\u003e \\u0026 \\u2028\\u2029 \\u0008\\u000c \\\\b \\\\\\\\f \\"q\\""}');
  });
});
