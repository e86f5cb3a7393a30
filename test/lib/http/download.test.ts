// src/lib/http/download.ts: a download into a .partial file that resumes after a broken
// connection (Range + If-Range), starts over when it must, checks size and sha256, takes turns
// with other downloaders of the same file, and keeps memory flat.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {createHash} from 'node:crypto';
import {existsSync, mkdirSync, readFileSync, statSync, utimesSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {pathToFileURL} from 'node:url';
import {setFlagsFromString} from 'node:v8';
import {runInNewContext} from 'node:vm';
import {downloadFile, removePartial} from '../../../src/lib/http/download.js';
import {seededBytes} from '../../helpers/bytes.js';
import {PROJECT} from '../../helpers/cli.js';
import {StaticServer, drainOrClose} from '../../helpers/https.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();
const root = join(work, 'www');
mkdirSync(root);
const BIG = seededBytes(3 << 20, 7);
writeFileSync(join(root, 'big.bin'), BIG);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const BIG_SHA = sha(BIG);
let n = 0;
const partial = () => join(work, 'downloads', `f${++n}.rootfs.partial`);

let server: StaticServer;
let plainServer: StaticServer;
before(async () => {
  server = await StaticServer.start(root);
  plainServer = await StaticServer.start(root, {ranges: false});
});
after(async () => {
  await server.stop();
  await plainServer.stop();
});

/** Download big.bin with a cut after `cut` bytes: the failure, and what stayed on disk. */
async function interrupted(s: StaticServer, file: string, cut: number, opts: {size?: number; sha256?: string} = {size: BIG.length, sha256: BIG_SHA}) {
  s.failNext('/big.bin', 'reset-after', cut);
  await assert.rejects(downloadFile(`${s.url}/big.bin`, file, {name: 'rootfs', ...opts}), {code: 'RemoteUnreachable'});
  return statSync(file).size;
}

describe('downloadFile', () => {
  test('downloads, hashes and reports progress; the meta file is gone afterwards', async () => {
    const file = partial();
    let progress = 0;
    const got = await downloadFile(`${server.url}/big.bin`, file, {name: 'rootfs', size: BIG.length, sha256: BIG_SHA, onProgress: (b) => (progress += b)});
    assert.deepEqual(got, {path: file, size: BIG.length, sha256: BIG_SHA, resumedFrom: 0});
    assert.equal(progress, BIG.length);
    assert.ok(readFileSync(file).equals(BIG));
    assert.equal(existsSync(`${file}.meta.json`), false);
    await removePartial(file);
    assert.equal(existsSync(file) || existsSync(`${file}.lock`), false);
    await removePartial(join(work, 'nowhere', 'x.partial'));
  });

  test('resumes after a cut connection with Range and If-Range; the server answers 206 and the sha256 is right', async () => {
    const file = partial();
    const kept = await interrupted(server, file, 700_000);
    // Under the client's 1 MiB of buffering, so no byte can be lost in Node's own buffers when the connection breaks.
    assert.equal(kept, 700_000, 'what arrived before the cut is on disk');
    server.reset();
    let progress = 0;
    const got = await downloadFile(`${server.url}/big.bin`, file, {name: 'rootfs', size: BIG.length, sha256: BIG_SHA, onProgress: (b) => (progress += b)});
    assert.deepEqual(got, {path: file, size: BIG.length, sha256: BIG_SHA, resumedFrom: kept});
    assert.equal(progress, BIG.length, 'the resumed bytes are reported once');
    assert.equal(server.requests.length, 1);
    assert.equal(server.requests[0]?.headers.range, `bytes=${kept}-`);
    assert.match(String(server.requests[0]?.headers['if-range']), /^"/);
    assert.equal(server.requests[0]?.status, 206);
  });

  test('a server without ranges answers 200: the download starts over and ends right', async () => {
    const file = partial();
    assert.ok((await interrupted(plainServer, file, 600_000)) > 0);
    plainServer.reset();
    const got = await downloadFile(`${plainServer.url}/big.bin`, file, {name: 'rootfs', size: BIG.length, sha256: BIG_SHA});
    assert.equal(got.resumedFrom, 0);
    assert.equal(got.sha256, BIG_SHA);
    assert.equal(plainServer.requests[0]?.status, 200);
  });

  test('without a validator from the first answer no Range is sent', async () => {
    const bare = await StaticServer.start(root, {etags: false, lastModified: false});
    const file = partial();
    assert.ok((await interrupted(bare, file, 600_000)) > 0);
    bare.reset();
    assert.equal((await downloadFile(`${bare.url}/big.bin`, file, {name: 'rootfs', size: BIG.length, sha256: BIG_SHA})).resumedFrom, 0);
    assert.equal(bare.requests[0]?.headers.range, undefined);
    await bare.stop();
  });

  test('a file changed on the server since the first bytes fails If-Range: the download starts over with the new file', async () => {
    const dir = join(work, 'changing');
    mkdirSync(dir);
    writeFileSync(join(dir, 'big.bin'), BIG);
    const s = await StaticServer.start(dir);
    const file = partial();
    assert.ok((await interrupted(s, file, 600_000, {size: BIG.length})) > 0);
    const changed = seededBytes(BIG.length, 8);
    writeFileSync(join(dir, 'big.bin'), changed);
    utimesSync(join(dir, 'big.bin'), new Date(), new Date(Date.now() + 10_000));
    s.reset();
    const got = await downloadFile(`${s.url}/big.bin`, file, {name: 'rootfs', size: BIG.length});
    assert.ok(s.requests[0]?.headers['if-range']);
    assert.equal(s.requests[0]?.status, 200);
    assert.deepEqual({resumedFrom: got.resumedFrom, sha256: got.sha256}, {resumedFrom: 0, sha256: sha(changed)});
    assert.ok(readFileSync(file).equals(changed));
    await s.stop();
  });

  test('a Content-Length other than the declared size is SizeMismatch before anything is written', async () => {
    const file = partial();
    server.route('/lie', (_req, res) => res.writeHead(200, {'content-length': 500}).end(Buffer.alloc(500)));
    await assert.rejects(downloadFile(`${server.url}/lie`, file, {name: 'rootfs', size: 400}), {
      code: 'SizeMismatch',
      message: 'rootfs: size mismatch: expected 400 bytes, got 500',
    });
    assert.equal(existsSync(file), false);
  });

  test('bytes past the declared size are SizeMismatch as they arrive', async () => {
    const file = partial();
    let sent = 0;
    server.route('/endless', async (_req, res) => {
      res.writeHead(200, {'content-type': 'application/octet-stream'});
      while (!res.destroyed && sent < 64 << 20) {
        sent += 64 << 10;
        if (!res.write(Buffer.alloc(64 << 10))) await drainOrClose(res);
      }
      res.end();
    });
    await assert.rejects(downloadFile(`${server.url}/endless`, file, {name: 'rootfs', size: 1000}), {
      code: 'SizeMismatch',
      message: /expected 1000 bytes, got at least/,
    });
    assert.ok(sent < 16 << 20, `the download stopped early (${sent} bytes sent)`);
    assert.ok(statSync(file).size <= 1000);
  });

  test('a wrong sha256 is HashMismatch naming both hashes, and the partial is deleted', async () => {
    const file = partial();
    const wrong = 'ab'.repeat(32);
    await assert.rejects(downloadFile(`${server.url}/big.bin`, file, {name: 'rootfs', size: BIG.length, sha256: wrong}), {
      code: 'HashMismatch',
      message: `rootfs: sha256 mismatch: expected ${wrong}, got ${BIG_SHA}`,
    });
    assert.equal(existsSync(file) || existsSync(`${file}.meta.json`), false);
  });

  test('two downloads of one partial in one process take turns: one request, both answers right', async () => {
    const file = partial();
    server.reset();
    const opts = {name: 'rootfs', size: BIG.length, sha256: BIG_SHA};
    const both = await Promise.all([downloadFile(`${server.url}/big.bin`, file, opts), downloadFile(`${server.url}/big.bin`, file, opts)]);
    const [first, second] = both.sort((x, y) => x.resumedFrom - y.resumedFrom);
    assert.deepEqual(first, {path: file, size: BIG.length, sha256: BIG_SHA, resumedFrom: 0});
    assert.deepEqual(second, {path: file, size: BIG.length, sha256: BIG_SHA, resumedFrom: BIG.length}, 'the second found it complete');
    assert.equal(server.requests.length, 1);
  });

  test('a download in another process holds the partial: ours waits, then finds it complete', async () => {
    const file = partial();
    server.reset();
    server.throttle(4 << 20);
    const mod = pathToFileURL(join(PROJECT, 'src/lib/http/download.ts')).href;
    const code = `import {downloadFile} from ${JSON.stringify(mod)};
let told = false;
await downloadFile(process.argv[1], process.argv[2], {name: 'rootfs', size: ${BIG.length}, sha256: '${BIG_SHA}', onProgress: () => { if (!told) { told = true; process.stdout.write('started\\n'); } }});
process.stdout.write('done\\n');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, `${server.url}/big.bin`, file], {
      cwd: PROJECT,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((r) => child.on('close', r));
    await new Promise<void>((r) => child.stdout.once('data', () => r()));
    const ours = await downloadFile(`${server.url}/big.bin`, file, {name: 'rootfs', size: BIG.length, sha256: BIG_SHA});
    server.throttle(undefined);
    assert.equal(await exited, 0);
    assert.equal(ours.resumedFrom, BIG.length, 'ours made no request of its own');
    assert.equal(server.requests.length, 1);
    assert.ok(readFileSync(file).equals(BIG));
  });

  test('a 200 MB download keeps memory flat', async () => {
    const block = seededBytes(1 << 20, 9);
    const blocks = 200;
    const hash = createHash('sha256');
    for (let i = 0; i < blocks; i++) hash.update(block);
    server.route('/generated', async (_req, res) => {
      res.writeHead(200, {'content-length': blocks * block.length});
      for (let i = 0; i < blocks && !res.destroyed; i++) if (!res.write(block)) await drainOrClose(res);
      res.end();
    });
    // Each socket read is a fresh 64 KiB buffer that V8 lets pile up to its external-memory limit
    // (64 MiB) before collecting: collect now and then, so what is measured is what is kept.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const start = process.memoryUsage().rss;
    let peak = start;
    let seen = 0;
    const file = partial();
    const got = await downloadFile(`${server.url}/generated`, file, {
      name: 'rootfs',
      size: blocks * block.length,
      sha256: hash.digest('hex'),
      onProgress: (b) => {
        peak = Math.max(peak, process.memoryUsage().rss);
        if ((seen += b) % (16 << 20) === 0) gc();
      },
    });
    assert.equal(got.size, blocks * block.length);
    assert.ok(peak - start < 64 << 20, `rss grew by ${((peak - start) / 2 ** 20).toFixed(1)} MiB`);
    await removePartial(file);
  });
});
