import assert from 'node:assert/strict';
import {readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {join, relative} from 'node:path';
import {after, before, describe, it} from 'node:test';
import {exportStore} from '../../../src/lib/simplestreams/from-store.js';
import {addImage, removeImage} from '../../../src/lib/simplestreams/edit.js';
import {parseProducts} from '../../../src/lib/simplestreams/products.js';
import {loadSigner} from '../../../src/lib/sign/signer.js';
import {LocalDirBlobStore} from '../../../src/lib/storage/index.js';
import {importImage} from '../../../src/lib/store/import.js';
import {Store} from '../../../src/lib/store/store.js';
import {gpgv, makeGpgKey, type GpgKey} from '../../helpers/gpg.js';
import {sampleFiles, type SampleFiles} from '../../helpers/sample-store.js';
import {codeOf, tinyImage} from '../../helpers/store.js';
import {tempDir} from '../../helpers/tmp.js';
import {recording} from './synthetic-tree.js';

/** Every file of a tree with its bytes and mtime: what "changes no byte" is checked against. */
function snapshot(dir: string): Map<string, {text: string; mtime: number}> {
  const out = new Map<string, {text: string; mtime: number}>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.set(relative(dir, p), {text: readFileSync(p).toString('base64'), mtime: st.mtimeMs});
    }
  };
  walk(dir);
  return out;
}

describe('simplestreams export from the store', () => {
  let work: string;
  let store: Store;
  let files: SampleFiles;
  let split: string;
  let unified: string;
  let privateFp: string;
  let key: GpgKey;

  before(async () => {
    work = tempDir();
    files = sampleFiles(join(work, 'files'));
    store = new Store({home: join(work, 'home')});
    split = (await importImage(store, [{path: files.meta}, {path: files.root}], {public: true, aliases: ['split']})).fingerprint;
    unified = (await importImage(store, [{path: files.unified}], {public: true, aliases: ['tiny'], properties: {os: 'Tinyos', release: '1.0'}})).fingerprint;
    writeFileSync(join(work, 'private.tar'), tinyImage('private'));
    privateFp = (await importImage(store, [{path: join(work, 'private.tar')}], {aliases: ['secret']})).fingerprint;
    key = makeGpgKey(work);
    writeFileSync(join(work, 'key.asc'), key.secretArmored);
  });
  after(() => undefined);

  it('writes the public images as LXD reads them, and nothing of the private one', async () => {
    const dir = join(work, 'tree1');
    const result = await exportStore(store, new LocalDirBlobStore(dir));
    assert.deepEqual(result.images.map((i) => i.fingerprint).sort(), [split, unified].sort());
    const doc = JSON.parse(readFileSync(join(dir, 'streams/v1/images.json'), 'utf8')) as unknown;
    const set = parseProducts(doc);
    assert.deepEqual(set.skipped, []);
    assert.deepEqual(set.images.map((i) => i.fingerprint).sort(), [split, unified].sort());
    assert.ok(set.aliases.some((a) => a.name === 'split' && a.fingerprint === split));
    for (const image of set.images) for (const f of image.files) assert.equal(statSync(join(dir, f.path)).size, f.size);
    const index = JSON.parse(readFileSync(join(dir, 'streams/v1/index.json'), 'utf8')) as {
      index: {images: {datatype: string; path: string; products: string[]}};
    };
    assert.equal(index.index.images.datatype, 'image-downloads');
    assert.equal(index.index.images.path, 'streams/v1/images.json');
    for (const [, file] of snapshot(dir)) assert.ok(!Buffer.from(file.text, 'base64').toString('latin1').includes(privateFp));
    // Canonical serialisation: one-space indent, sorted keys, no final newline.
    const text = readFileSync(join(dir, 'streams/v1/images.json'), 'utf8');
    assert.match(text, /^\{\n "content_id": "images",\n "datatype": "image-downloads",\n "format": "products:1.0",/);
    assert.ok(!text.endsWith('\n'));
  });

  it('re-exporting an unchanged store changes no byte, signatures included', async () => {
    const dir = join(work, 'tree2');
    const signer = await loadSigner(join(work, 'key.asc'));
    await exportStore(store, new LocalDirBlobStore(dir), {signer});
    const before = snapshot(dir);
    const again = await exportStore(store, new LocalDirBlobStore(dir), {signer});
    assert.deepEqual(again.change.written, []);
    assert.deepEqual(again.change.removed, []);
    assert.deepEqual(snapshot(dir), before);
  });

  it('signs every document so that gpgv verifies it, and gpgv refuses a changed byte', async () => {
    const dir = join(work, 'tree3');
    await exportStore(store, new LocalDirBlobStore(dir), {signer: await loadSigner(join(work, 'key.asc'))});
    for (const name of ['index', 'images']) {
      const base = join(dir, 'streams/v1', name);
      assert.equal(gpgv(key.publicBinary, `${base}.sjson`).ok, true, `${name}.sjson`);
      assert.equal(gpgv(key.publicBinary, `${base}.json.gpg`, `${base}.json`).ok, true, `${name}.json.gpg`);
    }
    const sindex = readFileSync(join(dir, 'streams/v1/index.sjson'), 'utf8');
    assert.match(sindex, /"path": "streams\/v1\/images\.sjson"/);
    const tampered = join(dir, 'streams/v1/images.sjson');
    writeFileSync(tampered, readFileSync(tampered, 'utf8').replace('"products:1.0"', '"products:1.1"'));
    assert.equal(gpgv(key.publicBinary, tampered).ok, false);
    const json = join(dir, 'streams/v1/images.json');
    writeFileSync(json, `${readFileSync(json, 'utf8')} `);
    assert.equal(gpgv(key.publicBinary, `${json}.gpg`, json).ok, false);
  });

  it('writes files first, products next, the index last, and deletes only after the index', async () => {
    const dir = join(work, 'tree4');
    const first = recording(new LocalDirBlobStore(dir));
    await exportStore(store, first.blobs);
    const puts = first.log.map((l) => l.replace(/^put /, ''));
    const at = (k: string): number => puts.findIndex((p) => p === k);
    const images = at('streams/v1/images.json');
    assert.ok(puts.slice(0, images).every((p) => p.startsWith('images/')) && images > 0, puts.join(' '));
    assert.equal(puts.at(-1), 'streams/v1/index.json');
    // Only the split image now: the unified one's files go, after the new index.
    const second = recording(new LocalDirBlobStore(dir));
    const result = await exportStore(store, second.blobs, {filters: ['split']});
    assert.ok(result.change.removed.length > 0);
    const lastPut = second.log.findLastIndex((l) => l.startsWith('put '));
    const firstDelete = second.log.findIndex((l) => l.startsWith('delete '));
    assert.ok(lastPut >= 0 && firstDelete > lastPut, second.log.join(' '));
    assert.ok(result.change.removed.every((k) => k.includes('lxd_combined')));
    assert.deepEqual(
      parseProducts(JSON.parse(readFileSync(join(dir, 'streams/v1/images.json'), 'utf8'))).images.map((i) => i.fingerprint),
      [split],
    );
  });

  it('add and remove change one image of a tree and keep the rest', async () => {
    const dir = join(work, 'tree5');
    const blobs = new LocalDirBlobStore(dir);
    const a = await addImage(blobs, [files.meta, files.root], {aliases: ['one'], hashCache: join(work, 'hashes.json')});
    const b = await addImage(blobs, [files.unified], {aliases: ['two']});
    const fps = () =>
      parseProducts(JSON.parse(readFileSync(join(dir, 'streams/v1/images.json'), 'utf8')))
        .images.map((i) => i.fingerprint)
        .sort();
    assert.deepEqual(fps(), [a.images[0]!.fingerprint, b.images[0]!.fingerprint].sort());
    assert.equal(a.images[0]!.fingerprint, split);
    assert.equal(await codeOf(addImage(blobs, [files.unified])), 'ImageExists');
    const removed = await removeImage(blobs, split.slice(0, 12));
    assert.ok(removed.change.removed.length >= 2);
    assert.deepEqual(fps(), [b.images[0]!.fingerprint]);
    for (const k of removed.change.removed) assert.throws(() => statSync(join(dir, k)));
    assert.equal(await codeOf(removeImage(blobs, split)), 'ImageNotFound');
  });
});
