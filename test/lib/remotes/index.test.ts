// src/lib/remotes/index.ts: the factory keyed by protocol and the one way a reference is resolved.
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import type {ImageView} from '../../../src/lib/image/types.js';
import {Remotes, SOURCE_FACTORIES, type SourceFactory} from '../../../src/lib/remotes/index.js';
import type {Source} from '../../../src/lib/remotes/source.js';
import {importImage} from '../../../src/lib/store/import.js';
import {Store} from '../../../src/lib/store/store.js';
import {codeOf, streamSource, tinyImage} from '../../helpers/store.js';
import {tempDir} from '../../helpers/tmp.js';
import {view} from '../../helpers/views.js';

const work = tempDir();

/** A protocol that knows one image, so that resolution through a non-local source is exercised. */
const fakeFactory: SourceFactory = (remote): Source => {
  const image: ImageView = view({fingerprint: 'f'.repeat(64)});
  return {
    remote: remote.name,
    protocol: 'fake',
    list: async () => [image],
    aliases: async () => [],
    resolve: async (name) => {
      if (name !== 'known') throw new Error(`fake: ${name}`);
      return image;
    },
    info: async () => image,
    open: async () => {
      throw new Error('not used');
    },
    download: async () => {
      throw new Error('not used');
    },
  };
};

describe('Remotes', () => {
  test('local is always there; an unknown remote or protocol is a clear error', async () => {
    const store = new Store({home: join(work, 'a')});
    const v = await importImage(store, [streamSource(tinyImage('a'))], {aliases: ['a']});
    const remotes = new Remotes(store);
    assert.deepEqual(remotes.names(), ['local']);
    assert.equal((await remotes.resolve('a')).image.fingerprint, v.fingerprint);
    assert.equal((await remotes.resolve('local:a')).source.protocol, 'local');
    assert.equal(await remotes.source('local'), await remotes.source('local'), 'one Source per remote');
    assert.equal(await codeOf(remotes.resolve('nowhere:a')), 'RemoteNotFound');
    const odd = new Remotes(store, [{name: 'odd', protocol: 'gopher'}]);
    await assert.rejects(odd.source('odd'), /speaks gopher, which img does not know/);
    assert.equal(Object.keys(SOURCE_FACTORIES).includes('local'), true);
  });

  test("a reference resolves through its remote's Source; localOnly refuses other remotes", async () => {
    const store = new Store({home: join(work, 'b')});
    const remotes = new Remotes(
      store,
      [
        {name: 'local', protocol: 'local'},
        {name: 'far', protocol: 'fake'},
      ],
      {factories: {...SOURCE_FACTORIES, fake: fakeFactory}},
    );
    const {source, image} = await remotes.resolve('far:known', {architecture: 'x86_64'});
    assert.equal(source.remote, 'far');
    assert.equal(image.fingerprint, 'f'.repeat(64));
    assert.equal(await codeOf(remotes.resolve('far:known', {localOnly: 'image delete'})), 'Usage');
    await assert.rejects(remotes.resolve('far:known', {localOnly: 'image delete'}), /img image delete works on the local store, not on far: \(far:known\)/);
    assert.throws(() => remotes.localName('far:x', 'image alias create'), /works on the local store/);
    assert.equal(remotes.localName('local:x', 'image alias create'), 'x');
    assert.equal(remotes.localName('x', 'image alias create'), 'x');
  });
});
