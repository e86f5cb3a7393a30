// src/lib/http/client.ts: one request through node:http(s) against real loopback servers. The
// test CA is trusted only by a child process started with NODE_EXTRA_CA_CERTS (runWithCa), the
// way a spawned img trusts it: Node reads that variable at start-up only.
import assert from 'node:assert/strict';
import {mkdirSync, writeFileSync} from 'node:fs';
import http from 'node:http';
import type {AddressInfo} from 'node:net';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {pathToFileURL} from 'node:url';
import {USER_AGENT, expectOk, getJson, readBody, request} from '../../../src/lib/http/client.js';
import {PROJECT} from '../../helpers/cli.js';
import {StaticServer, makeTestCa, runWithCa} from '../../helpers/https.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();
const root = join(work, 'www');
mkdirSync(root);
writeFileSync(join(root, 'hello.txt'), 'hello\n');
const CLIENT = pathToFileURL(join(PROJECT, 'src/lib/http/client.ts')).href;

let plain: StaticServer;
let tls: StaticServer;
const ca = makeTestCa(work);

before(async () => {
  plain = await StaticServer.start(root);
  tls = await StaticServer.start(root, {tls: ca});
});
after(async () => {
  await plain.stop();
  await tls.stop();
});

/** The UserError a promise rejects with, to assert on its code and message. */
async function failure(p: Promise<unknown>): Promise<{code?: string; message: string}> {
  try {
    await p;
  } catch (err) {
    return err as {code?: string; message: string};
  }
  assert.fail('expected a rejection');
}

/** Run `body` (statements over `request`, `readBody`, `url`, ending in `out = …`) in a child that trusts the test CA; its `out`. */
async function inChild(body: string, url: string): Promise<unknown> {
  const code = `import {request, readBody, expectOk} from ${JSON.stringify(CLIENT)};
const url = process.argv[1]; let out;
try { ${body} } catch (err) { out = {code: err.code, message: err.message}; }
process.stdout.write(JSON.stringify(out));`;
  const r = await runWithCa(ca.caCert, code, [url]);
  assert.equal(r.code, 0, r.stderr);
  return r.json;
}

describe('request over https', () => {
  test('a server certificate from the test CA is verified and accepted when NODE_EXTRA_CA_CERTS names the CA', async () => {
    const out = await inChild(
      `const res = await expectOk(await request(url + '/hello.txt')); out = {status: res.status, body: (await readBody(res, {maxBytes: 100, what: 'x'})).toString()};`,
      tls.url,
    );
    assert.deepEqual(out, {status: 200, body: 'hello\n'});
  });

  test('a certificate from a CA Node does not trust is refused with RemoteUnreachable naming the certificate', async () => {
    const err = await failure(request(`${tls.url}/hello.txt`));
    assert.equal(err.code, 'RemoteUnreachable');
    assert.match(err.message, /^cannot reach https:\/\/127\.0\.0\.1:\d+\/hello\.txt: certificate verify failed: /);
  });

  test('a redirect within https is followed and the final URL reported', async () => {
    tls.redirect('/old', '/hello.txt', 301);
    const out = (await inChild(`const res = await request(url + '/old'); res.body.resume(); out = {status: res.status, url: res.url};`, tls.url)) as {
      url: string;
    };
    assert.deepEqual(out, {status: 200, url: `${tls.url}/hello.txt`});
  });

  test('a redirect from https to http is refused (RedirectRefused)', async () => {
    tls.redirect('/down', `${plain.url}/hello.txt`);
    plain.reset();
    const out = (await inChild(`await request(url + '/down');`, tls.url)) as {code: string; message: string};
    assert.equal(out.code, 'RedirectRefused');
    assert.match(out.message, /refused: it changes the scheme/);
    assert.deepEqual(plain.requests, [], 'the http URL was never asked');
  });
});

describe('request over http', () => {
  test('sends the User-Agent and reuses one kept-alive connection for several requests', async () => {
    assert.match(USER_AGENT, /^img\/\d+\.\d+\.\d+\S* \(Linux; [a-z0-9_]+\)$/);
    const before = plain.connections;
    for (let i = 0; i < 3; i++) await readBody(await expectOk(await request(`${plain.url}/hello.txt`)), {maxBytes: 100, what: 'x'});
    assert.equal(plain.connections - before, 1);
    assert.equal(plain.requests.at(-1)?.headers['user-agent'], USER_AGENT);
  });

  test('an http → https upgrade is followed; a redirect to another scheme, or a loop, is refused', async () => {
    plain.redirect('/ftp', 'ftp://127.0.0.1/x');
    assert.equal((await failure(request(`${plain.url}/ftp`))).code, 'RedirectRefused');
    plain.redirect('/loop', '/loop');
    const loop = await failure(request(`${plain.url}/loop`, {maxRedirects: 3}));
    assert.equal(loop.code, 'RedirectRefused');
    assert.match(loop.message, /too many redirects \(more than 3\)/);
    plain.redirect('/up', `${tls.url}/hello.txt`);
    tls.reset();
    // Followed: the https hop is made (and fails here only because this process does not trust the test CA).
    assert.match((await failure(request(`${plain.url}/up`))).message, /certificate verify failed/);
  });

  test('expectOk turns 404 into HttpError "<url>: HTTP 404 Not Found"', async () => {
    const err = await failure(request(`${plain.url}/missing`).then(expectOk));
    assert.equal(err.code, 'HttpError');
    assert.equal(err.message, `${plain.url}/missing: HTTP 404 Not Found`);
  });

  test('connection refused is RemoteUnreachable with a readable reason', async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const {port} = server.address() as AddressInfo;
    await new Promise((r) => server.close(r));
    const err = await failure(request(`http://127.0.0.1:${port}/x`));
    assert.equal(err.code, 'RemoteUnreachable');
    assert.equal(err.message, `cannot reach http://127.0.0.1:${port}/x: connection refused`);
  });

  test('readBody refuses a Content-Length over the limit before the body comes', async () => {
    let bodySent = false;
    plain.route('/big', (_req, res) => {
      res.writeHead(200, {'content-length': 1000}).flushHeaders();
      setTimeout(() => ((bodySent = true), res.end(Buffer.alloc(1000))), 2000).unref();
    });
    const err = await failure(request(`${plain.url}/big`).then((res) => readBody(res, {maxBytes: 100, what: 'the index'})));
    assert.equal(err.code, 'ResponseTooLarge');
    assert.equal(err.message, 'the index: larger than 100 bytes');
    assert.equal(bodySent, false);
  });

  test('readBody refuses a chunked body that passes the limit, without reading the rest', async () => {
    let written = 0;
    plain.route('/lies', async (_req, res) => {
      res.writeHead(200, {'content-type': 'application/json'});
      for (let i = 0; i < 1000 && !res.destroyed; i++) {
        res.write(Buffer.alloc(100, 0x20));
        written += 100;
        await new Promise((r) => setTimeout(r, 2));
      }
      res.end();
    });
    const err = await failure(request(`${plain.url}/lies`).then((res) => readBody(res, {maxBytes: 250, what: 'products'})));
    assert.equal(err.code, 'ResponseTooLarge');
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(written < 100_000, `the server was cut off (wrote ${written})`);
  });

  test('a server that stops sending fails with "timed out" after idleTimeoutMs, before or during the body', async () => {
    plain.route('/silent', () => undefined);
    const headers = await failure(request(`${plain.url}/silent`, {idleTimeoutMs: 200}));
    assert.equal(headers.code, 'RemoteUnreachable');
    assert.match(headers.message, /: timed out/);
    plain.route('/stalls', (_req, res) => {
      res.writeHead(200, {'content-length': 10}).write('12345');
    });
    const res = await request(`${plain.url}/stalls`, {idleTimeoutMs: 200});
    const body = await failure(readBody(res, {maxBytes: 100, what: 'x'}));
    assert.equal(body.code, 'RemoteUnreachable');
    assert.match(body.message, /: timed out/);
  });

  test('a body cut midway is RemoteUnreachable', async () => {
    plain.route('/cut', (_req, res) => {
      res.writeHead(200, {'content-length': 100});
      res.write(Buffer.alloc(10), () => res.socket?.destroy());
    });
    const err = await failure(request(`${plain.url}/cut`).then((res) => readBody(res, {maxBytes: 1000, what: 'x'})));
    assert.equal(err.code, 'RemoteUnreachable');
    assert.match(err.message, /closed before the response ended/);
  });

  test('getJson parses JSON and refuses what is not (InvalidFeed)', async () => {
    plain.route('/ok.json', (_req, res) => res.writeHead(200, {'content-type': 'application/json'}).end('{"a":[1]}'));
    const got = await getJson(`${plain.url}/ok.json`, {maxBytes: 100});
    assert.deepEqual(got.value, {a: [1]});
    assert.equal(got.text, '{"a":[1]}');
    assert.equal(plain.requests.at(-1)?.headers.accept, 'application/json');
    plain.route('/bad.json', (_req, res) => res.writeHead(200).end('<html>'));
    const err = await failure(getJson(`${plain.url}/bad.json`, {maxBytes: 100}));
    assert.equal(err.code, 'InvalidFeed');
    assert.match(err.message, /\/bad\.json: not JSON: /);
  });
});
