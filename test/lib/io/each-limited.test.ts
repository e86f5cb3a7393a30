import assert from 'node:assert/strict';
import {setTimeout as sleep} from 'node:timers/promises';
import {describe, it} from 'node:test';
import {eachLimited} from '../../../src/lib/io/each-limited.js';

describe('eachLimited', () => {
  it('runs every item, never more than the limit at once', async () => {
    let running = 0;
    let most = 0;
    const done: number[] = [];
    await eachLimited([1, 2, 3, 4, 5, 6, 7], 3, async (n) => {
      most = Math.max(most, ++running);
      await sleep(5);
      running--;
      done.push(n);
    });
    assert.equal(most, 3);
    assert.deepEqual(done.sort(), [1, 2, 3, 4, 5, 6, 7]);
  });

  it('after a failure starts nothing more, aborts what runs, and throws the first error once all have settled', async () => {
    const started: number[] = [];
    let settled = 0;
    let aborted = 0;
    const run = eachLimited([1, 2, 3, 4, 5], 2, async (n, signal) => {
      started.push(n);
      try {
        if (n === 1) throw new Error('first');
        await sleep(30);
        if (signal.aborted) aborted++;
      } finally {
        settled++;
      }
    });
    await assert.rejects(run, /first/);
    assert.equal(settled, started.length, 'nothing still running when it throws');
    assert.ok(aborted >= 1, 'the item under way saw the abort');
    assert.ok(!started.includes(5) && !started.includes(4), `started ${started.join(',')}`);
  });
});
