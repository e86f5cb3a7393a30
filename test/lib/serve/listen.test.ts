import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {parseListen} from '../../../src/lib/serve/server.js';

describe('img serve: --listen', () => {
  const fallback = {host: '127.0.0.1', port: 8080};
  it('reads ADDR:PORT, [v6]:PORT, :PORT and ADDR over the defaults', () => {
    assert.deepEqual(parseListen(undefined, fallback), fallback);
    assert.deepEqual(parseListen('0.0.0.0:9000', fallback), {host: '0.0.0.0', port: 9000});
    assert.deepEqual(parseListen('127.0.0.1:0', fallback), {host: '127.0.0.1', port: 0});
    assert.deepEqual(parseListen('[::1]:8443', fallback), {host: '::1', port: 8443});
    assert.deepEqual(parseListen(':8081', fallback), {host: '127.0.0.1', port: 8081});
    assert.deepEqual(parseListen('localhost', fallback), {host: 'localhost', port: 8080});
  });
  it('refuses what is not an address and port', () => {
    for (const text of ['a:b', '1.2.3.4:70000', '::1:80', '[::1', 'host:80:90', '']) {
      assert.throws(() => parseListen(text, fallback), /expected ADDR:PORT/, text);
    }
  });
});
