// LxdSource against a loopback server that answers as LXD 5.0.2 does (byte shapes from
// ../shared/spec/lxd-images.md §5 and test/interop/lxd-remote.test.ts), and against the ways a
// stranger's server can answer otherwise.
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {existsSync, readFileSync} from 'node:fs';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import {join} from 'node:path';
import {after, before, beforeEach, describe, test} from 'node:test';
import {USER_AGENT} from '../../../src/lib/http/client.js';
import {ResponseCache} from '../../../src/lib/http/cache.js';
import {LxdSource} from '../../../src/lib/remotes/lxd.js';
import {seededBytes} from '../../helpers/bytes.js';
import {codeOf} from '../../helpers/store.js';
import {tempDir} from '../../helpers/tmp.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const unified = seededBytes(300_000, 1);
const meta = seededBytes(5_000, 2);
const root = seededBytes(700_000, 3);
const FP = {unified: sha(unified), split: sha(Buffer.concat([meta, root]))};

function image(fp: string, size: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    auto_update: false,
    properties: {os: 'tinyos'},
    public: true,
    expires_at: '1970-01-01T00:00:00Z',
    profiles: ['default'],
    aliases: [],
    architecture: 'x86_64',
    cached: false,
    filename: 'u.tar.xz',
    fingerprint: fp,
    size,
    type: 'container',
    created_at: '2023-11-14T22:13:20Z',
    last_used_at: '0001-01-01T00:00:00Z',
    uploaded_at: '2026-11-24T07:16:39.896535336Z',
    ...extra,
  };
}

const sync = (metadata: unknown) =>
  `${JSON.stringify({type: 'sync', status: 'Success', status_code: 200, operation: '', error_code: 0, error: '', metadata})}\n`;
const error = (code: number, message: string) =>
  `${JSON.stringify({type: 'error', status: '', status_code: 0, operation: '', error_code: code, error: message, metadata: null})}\n`;

const BOUNDARY = 'b359c8f59ec1d3009ad6ad3405a46899baf9c023dfe215da3698edbdf7c1';
function multipart(names = ['metadata', 'rootfs'], parts = [meta, root]): Buffer {
  const head = (name: string) =>
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"; filename="x"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  return Buffer.concat([
    Buffer.from(head(names[0]!)),
    parts[0]!,
    Buffer.from(`\r\n${head(names[1]!)}`),
    parts[1]!,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n\r\n--${BOUNDARY}--\r\n`),
  ]);
}

describe('LxdSource', () => {
  let server: http.Server;
  let url: string;
  const seen: http.IncomingHttpHeaders[] = [];
  // What the fake server answers, by path (with the query); tests change it.
  let routes: Map<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>;

  const json = (status: number, body: string) => (_req: http.IncomingMessage, res: http.ServerResponse) =>
    void res.writeHead(status, {'content-type': 'application/json'}).end(body);

  function unifiedExport(req: http.IncomingMessage, res: http.ServerResponse): void {
    const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const headers = {'content-type': 'application/octet-stream', 'content-disposition': `inline;filename=${FP.unified}.tar.xz`, 'accept-ranges': 'bytes'};
    if (!m) return void res.writeHead(200, {...headers, 'content-length': unified.length}).end(unified);
    const [start, end] = [Number(m[1]), m[2] ? Number(m[2]) : unified.length - 1];
    res.writeHead(206, {...headers, 'content-range': `bytes ${start}-${end}/${unified.length}`, 'last-modified': 'Wed, 02 Dec 2026 02:42:56 GMT'});
    res.end(unified.subarray(start, end + 1));
  }

  const splitExport = (body: Buffer) => (_req: http.IncomingMessage, res: http.ServerResponse) =>
    void res.writeHead(200, {'content-type': `multipart/form-data; boundary=${BOUNDARY}`}).end(body);

  beforeEach(() => {
    routes = new Map([
      [
        '/1.0/images?recursion=1',
        json(200, sync([image(FP.unified, unified.length, {aliases: [{name: 'u', description: 'the u'}]}), image(FP.split, meta.length + root.length)])),
      ],
      ['/1.0/images/aliases/u', json(200, sync({description: '', target: FP.unified, name: 'u', type: 'container'}))],
      ['/1.0/images/aliases/a%2Fb', json(200, sync({description: '', target: FP.split, name: 'a/b', type: 'virtual-machine'}))],
      [`/1.0/images/${FP.unified}`, json(200, sync(image(FP.unified, unified.length)))],
      [`/1.0/images/${FP.split}`, json(200, sync(image(FP.split, meta.length + root.length, {type: 'virtual-machine'})))],
      [`/1.0/images/${FP.unified}/export`, unifiedExport],
      [`/1.0/images/${FP.split}/export`, splitExport(multipart())],
    ]);
  });

  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      const route = routes.get(req.url ?? '');
      if (route) return route(req, res);
      const ref = /^\/1\.0\/images\/([0-9a-f]+)$/.exec(req.url ?? '')?.[1];
      const match = ref && Object.values(FP).find((fp) => fp.startsWith(ref));
      if (match) return routes.get(`/1.0/images/${match}`)!(req, res);
      json(404, error(404, req.url?.includes('/aliases/') ? 'Image alias not found' : 'Image not found'))(req, res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((r) => server.close(r)));

  const source = () => new LxdSource({name: 'pub', url: `${url}/`}, {cache: new ResponseCache(tempDir(), {ttlMs: 0})});
  const target = (dir = tempDir()) => ({partial: (role: string) => join(dir, `${role}.partial`)});

  test('lists LXD image objects as ImageViews, aliases from them, and says who it is', async () => {
    const s = source();
    assert.equal(s.server, url);
    const [u, split] = await s.list();
    assert.equal(u?.fingerprint, FP.unified);
    assert.deepEqual(u?.properties, {os: 'tinyos'});
    assert.deepEqual(u?.files, [{role: 'unified', size: unified.length, kind: 'tar', compression: 'xz', extension: '.tar.xz'}]);
    assert.equal(u?.update_source, null);
    assert.equal(split?.fingerprint, FP.split);
    assert.deepEqual(await s.aliases(), [{name: 'u', description: 'the u', target: FP.unified, type: 'container'}]);
    assert.equal(seen.at(-1)?.['user-agent'], USER_AGENT);
  });

  test('a malformed answer is InvalidFeed, naming the URL', async () => {
    const bad: unknown[] = [
      'not json',
      sync({not: 'a list'}),
      JSON.stringify({type: 'async', metadata: []}),
      sync([image('abc', 1)]),
      sync([image(FP.unified, -1)]),
      sync([image(FP.unified, 1, {properties: {n: 1}})]),
      sync([image(FP.unified, 1, {type: 'vm'})]),
      sync([image(FP.unified, 1, {aliases: [{name: 3}]})]),
      sync([image(FP.unified, 1, {update_source: 'x'})]),
    ];
    for (const body of bad) {
      routes.set('/1.0/images?recursion=1', json(200, body as string));
      await assert.rejects(
        source().list(),
        (err: Error & {code?: string}) => err.code === 'InvalidFeed' && err.message.startsWith(`${url}/1.0/images?recursion=1: `),
      );
    }
  });

  test('resolves as lxc image copy: an alias of the wanted type, else a fingerprint or prefix', async () => {
    const s = source();
    assert.equal((await s.resolve('u')).fingerprint, FP.unified);
    assert.equal((await s.resolve('a/b')).fingerprint, FP.split);
    assert.equal((await s.resolve(FP.split.slice(0, 10))).fingerprint, FP.split);
    await assert.rejects(s.resolve('a/b', {type: 'container'}), {code: 'ImageNotFound', message: 'pub:a/b: Image not found'});
    await assert.rejects(s.resolve('u', {architecture: 'aarch64'}), {code: 'ImageNotFound'});
    await assert.rejects(s.resolve('nope'), {code: 'ImageNotFound', message: 'pub:nope: Image not found'});
    routes.set('/1.0/images/ab', json(500, error(500, 'More than one image matches')));
    await assert.rejects(s.resolve('ab'), {code: 'AmbiguousPrefix', message: 'pub:ab: More than one image matches'});
    routes.set('/1.0/images/aliases/u', json(403, error(403, 'not authorized')));
    await assert.rejects(s.resolve('u'), {code: 'HttpError', message: `${url}/1.0/images/aliases/u: HTTP 403: not authorized`});
    routes.set('/1.0/images/aliases/u', json(200, sync({target: FP.unified, name: 'u'})));
    routes.set(`/1.0/images/${FP.unified}`, json(200, sync(image(FP.split, 5))));
    assert.equal(await codeOf(s.resolve('u')), 'InvalidFeed');
  });

  test('downloads a unified export: one byte asked first, then the file, checked by its sha256 (the fingerprint)', async () => {
    const s = source();
    const img = await s.info(FP.unified);
    const t = target();
    const progress: number[] = [];
    seen.length = 0;
    const got = await s.download(img, t, {onProgress: (done) => progress.push(done)});
    assert.deepEqual(got, [{path: t.partial('unified'), size: unified.length, sha256: FP.unified}]);
    assert.ok(readFileSync(t.partial('unified')).equals(unified));
    assert.equal(seen[0]?.range, 'bytes=0-0');
    assert.equal(progress.at(-1), unified.length);
    // A server that ignores the range is still read.
    routes.set(`/1.0/images/${FP.unified}/export`, (req, res) => unifiedExport({...req, headers: {}} as http.IncomingMessage, res));
    assert.equal((await s.download(img, target()))[0]?.sha256, FP.unified);
    routes.set(`/1.0/images/${FP.unified}/export`, (_req, res) => void res.writeHead(200, {'content-type': 'application/octet-stream'}).end(unified));
    await assert.rejects(s.download(img, target()), {code: 'InvalidFeed', message: /No filename in Content-Disposition header/});
  });

  test('downloads a split export into the two partials, fresh; the total must be the image size', async () => {
    const s = source();
    const img = await s.info(FP.split);
    const t = target();
    const progress: number[] = [];
    const got = await s.download(img, t, {onProgress: (done, total) => progress.push(done, total!)});
    assert.deepEqual(got, [
      {path: t.partial('metadata'), size: meta.length},
      {path: t.partial('rootfs'), size: root.length},
    ]);
    assert.ok(readFileSync(t.partial('metadata')).equals(meta) && readFileSync(t.partial('rootfs')).equals(root));
    assert.deepEqual(progress.slice(-2), [img.size, img.size]);
    const failing: Array<[Buffer, string]> = [
      [multipart(['metadata', 'rootfs'], [meta, root.subarray(1)]), 'SizeMismatch'],
      [multipart(['metadata', 'rootfs'], [meta, Buffer.concat([root, Buffer.from('x')])]), 'SizeMismatch'],
      [multipart(['rootfs', 'metadata']), 'InvalidMultipart'],
      [multipart().subarray(0, 9000), 'InvalidMultipart'],
    ];
    for (const [body, code] of failing) {
      routes.set(`/1.0/images/${FP.split}/export`, splitExport(body));
      const again = target();
      assert.equal(await codeOf(s.download(img, again)), code);
      assert.ok(!existsSync(again.partial('metadata')) && !existsSync(again.partial('rootfs')), `no partial left after ${code}`);
    }
  });

  test('open() streams a unified image; a split one is for download(); a missing export is not found', async () => {
    const s = source();
    const file = await s.open(await s.info(FP.unified), 'unified');
    const chunks: Buffer[] = [];
    for await (const c of file.stream) chunks.push(c as Buffer);
    assert.ok(Buffer.concat(chunks).equals(unified));
    assert.deepEqual([file.name, file.size, file.sha256], [`${FP.unified}.tar.xz`, unified.length, FP.unified]);
    assert.equal(await codeOf(s.open(await s.info(FP.split), 'unified')), 'Usage');
    assert.equal(await codeOf(s.open(await s.info(FP.split), 'rootfs')), 'Usage');
    routes.delete(`/1.0/images/${FP.unified}/export`);
    assert.equal(await codeOf(s.download(await s.info(FP.unified), target())), 'ImageNotFound');
  });
});
