import assert from 'node:assert/strict';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, it} from 'node:test';
import {makeCatalog, StoreCatalog} from '../../../src/lib/serve/catalog.js';
import {createAlias} from '../../../src/lib/store/aliases.js';
import {importImage} from '../../../src/lib/store/import.js';
import {Store} from '../../../src/lib/store/store.js';
import {tinyImage} from '../../helpers/store.js';
import {tempDir} from '../../helpers/tmp.js';
import {view} from '../../helpers/views.js';

describe('img serve: the catalog', () => {
  it('finds public images by fingerprint or unique prefix, and nothing else', () => {
    const unified = (fingerprint: string) =>
      view({fingerprint, public: true, files: [{role: 'unified', size: 1, kind: 'tar', compression: 'none', extension: '.tar', sha256: fingerprint}]});
    const a = unified('ab12' + '0'.repeat(60));
    const b = unified('ab34' + '0'.repeat(60));
    const c = unified('cd56' + '0'.repeat(60));
    const catalog = makeCatalog(
      [a, b, c],
      [
        {name: 'x', target: a.fingerprint, description: ''},
        {name: 'gone', target: 'ff'.repeat(32), description: ''},
      ],
      (fp, role) => `/s/${fp}/${role}`,
    );
    assert.equal(catalog.find(a.fingerprint)?.fingerprint, a.fingerprint);
    assert.equal(catalog.find('AB12')?.fingerprint, a.fingerprint);
    assert.equal(catalog.find('cd')?.fingerprint, c.fingerprint);
    assert.equal(catalog.find('ab'), undefined, 'ambiguous');
    assert.equal(catalog.find(''), undefined);
    assert.equal(catalog.find('zz'), undefined);
    assert.equal(catalog.find(`${a.fingerprint}0`), undefined);
    assert.deepEqual(
      catalog.aliases.map((x) => x.name),
      ['x'],
    );
    assert.equal(catalog.filePath(a.fingerprint, 'unified'), `/s/${a.fingerprint}/unified`);
    assert.throws(() => catalog.filePath('ff'.repeat(32), 'unified'));
    assert.throws(() => catalog.filePath(a.fingerprint, 'rootfs'));
    assert.equal(makeCatalog([c, b, a], catalog.aliases, () => '').generation, catalog.generation, 'the generation is of the content');
  });

  it('holds public images only; a prefix only a private image has is not found', async () => {
    const work = tempDir();
    const store = new Store({home: join(work, 'home')});
    writeFileSync(join(work, 'a.tar'), tinyImage('a'));
    writeFileSync(join(work, 'b.tar'), tinyImage('b'));
    const pub = (await importImage(store, [{path: join(work, 'a.tar')}], {public: true, aliases: ['pub']})).fingerprint;
    const priv = (await importImage(store, [{path: join(work, 'b.tar')}], {aliases: ['priv']})).fingerprint;
    const catalogs = new StoreCatalog(store);
    try {
      const catalog = await catalogs.current();
      assert.deepEqual(
        catalog.images.map((i) => i.fingerprint),
        [pub],
      );
      assert.deepEqual(
        catalog.feed.map((i) => i.fingerprint),
        [pub],
      );
      assert.deepEqual(
        catalog.aliases.map((a) => a.name),
        ['pub'],
      );
      assert.equal(catalog.find(priv), undefined);
      assert.equal(catalog.find(priv.slice(0, 6)), undefined);
      assert.equal(catalog.feed[0]?.files[0]?.sha256, pub);
      assert.equal(await catalogs.current(), catalog, 'unchanged store: the same snapshot, not rebuilt');
      await createAlias(store, 'second', pub);
      const next = await catalogs.current();
      assert.notEqual(next.generation, catalog.generation);
      assert.deepEqual(
        next.aliases.map((a) => a.name),
        ['pub', 'second'],
      );
    } finally {
      catalogs.close();
    }
  });

  for (const watch of [true, false]) {
    it(`sees a record rewritten inside an image's directory (${watch ? 'watched' : 'stat-ed per request'})`, async () => {
      const work = tempDir();
      const store = new Store({home: join(work, 'home')});
      writeFileSync(join(work, 'a.tar'), tinyImage('a'));
      const fp = (await importImage(store, [{path: join(work, 'a.tar')}], {public: true})).fingerprint;
      const catalogs = new StoreCatalog(store, {watch});
      try {
        assert.equal((await catalogs.current()).images.length, 1);
        await store.updateRecord(fp, (r) => ({...r, public: false}));
        // A watch is told through the event loop; a stat per request needs no wait.
        if (watch) await new Promise((r) => setTimeout(r, 50));
        assert.equal((await catalogs.current()).images.length, 0);
        await store.updateRecord(fp, (r) => ({...r, public: true}));
        if (watch) await new Promise((r) => setTimeout(r, 50));
        assert.equal((await catalogs.current()).images.length, 1);
      } finally {
        catalogs.close();
      }
    });
  }
});
