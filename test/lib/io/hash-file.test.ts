// src/lib/io/hash-file.ts: the one chunked hashing loop.
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {hashChunks, hashFile} from '../../../src/lib/io/hash-file.js';
import {tempDir} from '../../helpers/tmp.js';

describe('hashChunks and hashFile', () => {
  test('every hash sees every byte once, in order; the byte count and progress agree', async () => {
    const data = Buffer.alloc(3 * (1 << 20) + 17);
    for (let i = 0; i < data.length; i++) data[i] = (i * 31) & 0xff;
    const path = join(tempDir(), 'f');
    writeFileSync(path, data);
    const [a, b] = [createHash('sha256'), createHash('md5')];
    let progress = 0;
    const size = await hashFile(path, [a, b], (n) => (progress += n));
    assert.equal(size, data.length);
    assert.equal(progress, data.length);
    assert.equal(a.digest('hex'), createHash('sha256').update(data).digest('hex'));
    assert.equal(b.digest('hex'), createHash('md5').update(data).digest('hex'));
  });

  test('an empty input hashes to the empty digest; an error mid-way is thrown', async () => {
    const h = createHash('sha256');
    assert.equal(await hashChunks((async function* () {})(), [h]), 0);
    assert.equal(h.digest('hex'), createHash('sha256').digest('hex'));
    const failing = (async function* () {
      yield Buffer.from('x');
      throw new Error('read failed');
    })();
    await assert.rejects(hashChunks(failing, [createHash('sha256')]), /read failed/);
  });
});
