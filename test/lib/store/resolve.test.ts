// src/lib/store/resolve.ts: how a name finds a stored image.
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {createAlias, deleteAlias} from '../../../src/lib/store/aliases.js';
import {importImage} from '../../../src/lib/store/import.js';
import {resolveFingerprint, resolveImage} from '../../../src/lib/store/resolve.js';
import {Store} from '../../../src/lib/store/store.js';
import {codeOf, streamSource, tinyImage} from '../../helpers/store.js';
import {tempDir} from '../../helpers/tmp.js';

describe('resolveImage', () => {
  test('alias first, then a unique prefix in any case; not found and ambiguous are user errors', async () => {
    const store = new Store({home: join(tempDir(), 'b')});
    // Import until two fingerprints share their first hex digit (at most 17 imports).
    const byDigit = new Map<string, string>();
    let pair: [string, string] | undefined;
    for (let i = 0; !pair; i++) {
      const fp = (await importImage(store, [streamSource(tinyImage(`seed-${i}`))])).fingerprint;
      const twin = byDigit.get(fp[0]!);
      if (twin) pair = [twin, fp];
      else byDigit.set(fp[0]!, fp);
    }
    const [a, b] = pair;
    await createAlias(store, b.slice(0, 1), a);
    assert.equal((await resolveImage(store, b.slice(0, 1))).fingerprint, a, 'an alias wins over a prefix');
    await deleteAlias(store, b.slice(0, 1));
    assert.equal(await codeOf(resolveImage(store, a.slice(0, 1))), 'AmbiguousPrefix');
    assert.equal((await resolveImage(store, a.slice(0, 20).toUpperCase())).fingerprint, a);
    assert.equal(await codeOf(resolveImage(store, 'nope')), 'ImageNotFound');
    assert.equal(await codeOf(resolveImage(store, '')), 'ImageNotFound');
    assert.equal(await resolveFingerprint(store, a.toUpperCase()), a);
    assert.equal(await codeOf(resolveFingerprint(store, a.slice(0, 1))), 'AmbiguousPrefix');
  });

  test('an alias whose image is gone does not hide a prefix match', async () => {
    const store = new Store({home: join(tempDir(), 'stale')});
    const v = await importImage(store, [streamSource(tinyImage('stale'))]);
    const w = await importImage(store, [streamSource(tinyImage('other'))], {aliases: [v.fingerprint.slice(0, 6)]});
    await store.deleteImage(w.fingerprint);
    assert.equal((await resolveImage(store, v.fingerprint.slice(0, 6))).fingerprint, v.fingerprint);
  });
});
