// src/lib/archive/check.ts: a tarball read to its very end.
import assert from 'node:assert/strict';
import {Readable} from 'node:stream';
import {describe, test} from 'node:test';
import {gzipSync} from 'node:zlib';
import {checkTarball} from '../../../src/lib/archive/check.js';
import {tarBytes} from '../../helpers/tar-bytes.js';

const tar = tarBytes([
  ['a', 'x'.repeat(5000)],
  ['b/', ''],
  ['b/c', 'y\n'],
]);

describe('checkTarball', () => {
  test('a whole tarball, plain or compressed, passes', async () => {
    await checkTarball(Readable.from([tar]), 'none');
    await checkTarball(Readable.from([gzipSync(tar)]), 'gzip');
  });

  test('damage anywhere is an error named after the codec that found it', async () => {
    const gz = gzipSync(tar);
    await assert.rejects(checkTarball(Readable.from([gz.subarray(0, gz.length - 4)]), 'gzip'), /^Error: gzip: /);
    const broken = Buffer.from(tar);
    broken.write('garbage!', 0);
    await assert.rejects(checkTarball(Readable.from([broken]), 'none'), /^Error: tar: /);
  });
});
