// src/lib/store/prune.ts: LXD's expiry of cached images (lxd-images.md §7.4), and --expired.
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {importImage} from '../../../src/lib/store/import.js';
import {pruneImages} from '../../../src/lib/store/prune.js';
import {Store} from '../../../src/lib/store/store.js';
import {streamSource, tinyImage} from '../../helpers/store.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();
const DAY = 86_400_000;

async function storeWith(name: string): Promise<{store: Store; fp: Record<string, string>}> {
  const store = new Store({home: join(work, name)});
  const now = Date.now();
  const at = (days: number) => new Date(now - days * DAY).toISOString();
  const add = async (seed: string, record: Record<string, unknown>) =>
    (await importImage(store, [streamSource(tinyImage(seed))], {record: record as never})).fingerprint;
  const fp = {
    // Cached 20 days ago, never used: past a 10-day expiry.
    stale: await add('stale', {cached: true}),
    // Cached long ago, but used yesterday.
    used: await add('used', {cached: true, last_used_at: at(1)}),
    // Copied by hand 30 days ago: never pruned as unused.
    mine: await add('mine', {}),
    // Expired a day ago, not cached.
    expired: await add('expired', {expires_at: at(1)}),
  };
  for (const name of ['stale', 'used', 'mine'] as const) await store.updateRecord(fp[name]!, (r) => ({...r, uploaded_at: at(name === 'mine' ? 30 : 20)}));
  return {store, fp};
}

describe('pruneImages', () => {
  test('removes cached images unused for longer than the expiry, never images the user copied', async () => {
    const {store, fp} = await storeWith('a');
    const dry = await pruneImages(store, {expiryDays: 10, dryRun: true});
    assert.deepEqual(
      dry.map((r) => [r.fingerprint, r.reason]),
      [[fp.stale, 'unused']],
    );
    assert.match(dry[0]!.message, /^cached \S+, never used, more than 10 days ago$/);
    assert.equal((await store.list()).length, 4, '--dry-run changes nothing');
    await pruneImages(store, {expiryDays: 10});
    assert.deepEqual((await store.fingerprints()).sort(), [fp.used, fp.mine, fp.expired].sort());
  });

  test('--expired also removes images past their expires_at; an expiry of 0 keeps cached images', async () => {
    const {store, fp} = await storeWith('b');
    const done = await pruneImages(store, {expiryDays: 0, expired: true});
    assert.deepEqual(
      done.map((r) => [r.fingerprint, r.reason]),
      [[fp.expired, 'expired']],
    );
    assert.ok(await store.exists(fp.stale!));
  });

  test('a cached image used within the expiry stays, one used before it goes', async () => {
    const {store, fp} = await storeWith('c');
    assert.deepEqual(
      (await pruneImages(store, {expiryDays: 2, dryRun: true})).map((r) => r.fingerprint),
      [fp.stale],
      'used a day ago, with two days to go',
    );
    const later = new Date(Date.now() + 2 * DAY);
    assert.deepEqual((await pruneImages(store, {expiryDays: 2, dryRun: true, now: later})).map((r) => r.fingerprint).sort(), [fp.stale, fp.used].sort());
  });
});
