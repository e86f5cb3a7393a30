// Closing the server: answers under way may finish within the grace period; a client that stops
// reading is cut when it ends, and close() says how many were cut.
import assert from 'node:assert/strict';
import {randomBytes} from 'node:crypto';
import {mkdirSync, writeFileSync} from 'node:fs';
import http from 'node:http';
import {join} from 'node:path';
import {describe, it} from 'node:test';
import {serveRoutes} from '../../../src/lib/serve/routes.js';
import {startServer} from '../../../src/lib/serve/server.js';
import {importImage} from '../../../src/lib/store/import.js';
import {Store} from '../../../src/lib/store/store.js';
import {tar} from '../../helpers/images.js';
import {tempDir} from '../../helpers/tmp.js';

describe('img serve: closing', () => {
  it('cuts a download whose client stopped reading once the grace period is over', async () => {
    const work = tempDir();
    mkdirSync(join(work, 'img', 'rootfs'), {recursive: true});
    writeFileSync(join(work, 'img', 'metadata.yaml'), 'architecture: x86_64\ncreation_date: 1700000000\n');
    writeFileSync(join(work, 'img', 'rootfs', 'blob'), randomBytes(32 << 20));
    tar(['-cf', join(work, 'big.tar'), '-C', join(work, 'img'), 'metadata.yaml', 'rootfs']);
    const store = new Store({home: join(work, 'home')});
    const fp = (await importImage(store, [{path: join(work, 'big.tar')}], {public: true})).fingerprint;
    const server = await startServer({store, listen: {host: '127.0.0.1', port: 0}, routes: serveRoutes()});
    let received = 0;
    let response: http.IncomingMessage | undefined;
    const ended = new Promise<string>((resolve) => {
      http.get(`${server.url}/files/${fp}/lxd_combined.tar.gz`, {agent: false}, (res) => {
        response = res;
        // Stop reading after the first chunk: the server's writes back up once the socket buffers are full.
        res.once('data', () => res.pause());
        res.on('data', (c: Buffer) => (received += c.length));
        res.on('error', () => undefined);
        res.once('close', () => resolve(res.complete ? 'end' : 'cut'));
      });
    });
    while (received === 0) await new Promise((r) => setTimeout(r, 10));
    const started = Date.now();
    const {cut} = await server.close(300);
    const took = Date.now() - started;
    assert.equal(cut, 1);
    assert.ok(took >= 290 && took < 5000, `close took ${took} ms`);
    // Read again: what the socket holds, then the end of a cut connection.
    response!.resume();
    assert.equal(await ended, 'cut');
    assert.ok(received < 32 << 20);
  });
});
