// src/lib/http/cache.ts: remote indexes cached on disk, answered fresh, revalidated with a
// conditional GET, refetched when changed, served stale (with a warning) when the remote is down,
// and a torn pair of files treated as absent.
import assert from 'node:assert/strict';
import {existsSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {ResponseCache} from '../../../src/lib/http/cache.js';
import type {Warning} from '../../../src/lib/warn.js';
import {StaticServer} from '../../helpers/https.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();
const root = join(work, 'www');
mkdirSync(root);
writeFileSync(join(root, 'index.json'), '{"index":{}}');
const TTL = 60_000;
let server: StaticServer;

before(async () => {
  server = await StaticServer.start(root);
});
after(async () => {
  await server.stop();
});

/** A cache in its own directory with a clock the test moves. */
function cache(dir: string) {
  const clock = {now: 1_000_000_000};
  const warnings: Warning[] = [];
  const c = new ResponseCache(join(work, dir), {ttlMs: TTL, now: () => clock.now, onWarning: (w) => warnings.push(w)});
  return {c, clock, warnings};
}

describe('ResponseCache', () => {
  test('within the ttl the stored copy is answered and the server is not asked', async () => {
    const {c, clock} = cache('fresh');
    const url = `${server.url}/index.json`;
    assert.deepEqual(await c.get(url, {maxBytes: 1000}), {text: '{"index":{}}', from: 'network'});
    server.reset();
    clock.now += TTL - 1;
    assert.deepEqual(await c.get(url, {maxBytes: 1000}), {text: '{"index":{}}', from: 'cache'});
    assert.deepEqual(server.requests, []);
    assert.equal((await c.get(url, {maxBytes: 1000, maxAgeMs: 0})).from, 'revalidated', 'maxAgeMs 0 always asks');
  });

  test('past the ttl a conditional GET answered 304 revalidates the copy and resets its age', async () => {
    const {c, clock} = cache('revalidate');
    const url = `${server.url}/index.json`;
    await c.get(url, {maxBytes: 1000});
    server.reset();
    clock.now += TTL;
    assert.deepEqual(await c.get(url, {maxBytes: 1000}), {text: '{"index":{}}', from: 'revalidated'});
    assert.equal(server.requests.length, 1);
    assert.match(String(server.requests[0]?.headers['if-none-match']), /^"[0-9a-f]+-[0-9a-f]+"$/);
    assert.ok(server.requests[0]?.headers['if-modified-since']);
    assert.equal(server.requests[0]?.status, 304, 'answered without a body');
    server.reset();
    clock.now += TTL - 1;
    assert.equal((await c.get(url, {maxBytes: 1000})).from, 'cache');
    assert.deepEqual(server.requests, []);
  });

  test('a changed file is fetched and stored anew', async () => {
    const {c, clock} = cache('changed');
    writeFileSync(join(root, 'products.json'), '{"v":1}');
    const url = `${server.url}/products.json`;
    await c.get(url, {maxBytes: 1000});
    writeFileSync(join(root, 'products.json'), '{"v":22}');
    clock.now += TTL;
    assert.deepEqual(await c.get(url, {maxBytes: 1000}), {text: '{"v":22}', from: 'network'});
    assert.deepEqual(await c.get(url, {maxBytes: 1000}), {text: '{"v":22}', from: 'cache'});
  });

  test('an unreachable server or a 5xx answer gives the stored copy with a StaleIndex warning', async () => {
    const {c, clock, warnings} = cache('stale');
    const down = await StaticServer.start(root);
    let fail = false;
    down.route('/five.json', (_req, res) => (fail ? res.writeHead(503, {'content-length': 0}).end() : res.writeHead(200).end('[5]')));
    const url = `${down.url}/index.json`;
    await c.get(url, {maxBytes: 1000});
    await c.get(`${down.url}/five.json`, {maxBytes: 1000});
    fail = true;
    clock.now += TTL + 5000;
    assert.deepEqual(await c.get(`${down.url}/five.json`, {maxBytes: 1000}), {text: '[5]', from: 'stale'});
    assert.match(warnings[0]?.message ?? '', /five\.json: using the copy cached 65 s ago: .*HTTP 503 Service Unavailable$/);
    await down.stop();
    assert.deepEqual(await c.get(url, {maxBytes: 1000}), {text: '{"index":{}}', from: 'stale'});
    assert.equal(warnings.length, 2);
    assert.equal(warnings[1]?.code, 'StaleIndex');
    assert.match(warnings[1]?.message ?? '', new RegExp(`^${url}: using the copy cached \\d+ s ago: cannot reach ${url}: connection refused$`));
    assert.equal(warnings[1]?.data?.url, url);
    await assert.rejects(c.get(`${down.url}/never-stored.json`, {maxBytes: 1000}), {code: 'RemoteUnreachable'});
  });

  test('a torn pair (a body that is not the one the meta names) is treated as absent', async () => {
    const {c, clock} = cache('torn');
    const url = `${server.url}/index.json`;
    await c.get(url, {maxBytes: 1000});
    const body = readdirSync(join(work, 'torn')).find((f) => f.endsWith('.body'))!;
    writeFileSync(join(work, 'torn', body), '{"half');
    server.reset();
    clock.now += 1;
    assert.deepEqual(await c.get(url, {maxBytes: 1000}), {text: '{"index":{}}', from: 'network'});
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0]?.headers['if-none-match'], undefined, 'no validators from a copy that is not there');
  });

  test('an error status is HttpError and stores nothing; a body over maxBytes is ResponseTooLarge', async () => {
    const {c} = cache('errors');
    await assert.rejects(c.get(`${server.url}/missing.json`, {maxBytes: 1000}), {code: 'HttpError', message: `${server.url}/missing.json: HTTP 404 Not Found`});
    assert.equal(existsSync(join(work, 'errors')), false, 'nothing stored');
    await assert.rejects(c.get(`${server.url}/index.json`, {maxBytes: 5}), {code: 'ResponseTooLarge'});
  });
});
