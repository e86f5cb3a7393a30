// src/lib/io/atomic.ts: replace a file so that readers see the old or the new one, never a part.
import assert from 'node:assert/strict';
import {mkdirSync, readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {writeFileAtomic} from '../../../src/lib/io/atomic.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();

describe('writeFileAtomic', () => {
  test('writeFileAtomic replaces the file and leaves no temporary name', async () => {
    const dir = join(work, 'atomic');
    mkdirSync(dir);
    await writeFileAtomic(join(dir, 'f.json'), 'one');
    await writeFileAtomic(join(dir, 'f.json'), 'two');
    assert.equal(readFileSync(join(dir, 'f.json'), 'utf8'), 'two');
    assert.deepEqual(readdirSync(dir), ['f.json']);
  });
});
