// src/lib/store/workdir.ts: private work directories and the cleanup of dead processes' leftovers.
import assert from 'node:assert/strict';
import {existsSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {cleanTmp, WorkDir} from '../../../src/lib/store/workdir.js';
import {tempDir} from '../../helpers/tmp.js';

describe('work directories and leftovers', () => {
  test('cleanTmp removes what dead processes left and keeps live work', async () => {
    const tmp = join(tempDir(), 'tmp-clean');
    mkdirSync(tmp);
    const live = await WorkDir.create(tmp, 'live');
    mkdirSync(join(tmp, 'orphan-dir'));
    writeFileSync(join(tmp, 'dead-1.lock'), '');
    mkdirSync(join(tmp, 'dead-1'));
    writeFileSync(join(tmp, 'dead-1', 'unified'), 'partial');
    const removed = await cleanTmp(tmp);
    assert.deepEqual(removed.sort(), ['dead-1', 'orphan-dir']);
    assert.ok(existsSync(live.path), 'a directory whose lock is held is kept');
    await live.dispose();
    assert.deepEqual(readdirSync(tmp), []);
  });
});
