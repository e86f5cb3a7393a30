// src/lib/store/lock.ts: the store lock (an OFD lock the kernel frees on death) and the in-process queue.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {FileLock, ProcessMutex} from '../../../src/lib/store/lock.js';
import {PROJECT} from '../../helpers/cli.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();

describe('locks', () => {
  test('a lock held by another process excludes us until that process dies', async () => {
    const path = join(work, 'x.lock');
    writeFileSync(path, '');
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');const x=require('fs-native-extensions');const fd=fs.openSync(process.argv[1],'r+');x.tryLock(fd);process.stdout.write('held\\n');setInterval(()=>{},1000)`,
        path,
      ],
      {
        cwd: PROJECT,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    await new Promise<void>((r) => holder.stdout.once('data', () => r()));
    assert.equal(await FileLock.tryAcquire(path), undefined);
    let waited = false;
    const acquiring = FileLock.acquire(path, () => (waited = true));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(waited, true, 'the waiter is told it waits');
    holder.kill('SIGKILL');
    const lock = await acquiring;
    await lock.release();
  });

  test('two opens in one process exclude each other (OFD locks), hence ProcessMutex', async () => {
    const path = join(work, 'y.lock');
    const a = await FileLock.acquire(path);
    assert.equal(await FileLock.tryAcquire(path), undefined);
    await a.release();
    const b = await FileLock.tryAcquire(path);
    assert.ok(b);
    await b.release();
    const mutex = new ProcessMutex();
    const order: number[] = [];
    await Promise.all(
      [1, 2, 3].map((n) =>
        mutex.run(async () => {
          order.push(n);
          await new Promise((r) => setTimeout(r, 10));
          order.push(-n);
        }),
      ),
    );
    assert.deepEqual(order, [1, -1, 2, -2, 3, -3]);
  });
});
