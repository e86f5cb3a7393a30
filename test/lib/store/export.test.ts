// src/lib/store/export.ts: LXD's export names and targets, and streaming an image out.
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {mkdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {Writable} from 'node:stream';
import {describe, test} from 'node:test';
import {exportNames, exportTargets, exportToStream} from '../../../src/lib/store/export.js';
import {importImage} from '../../../src/lib/store/import.js';
import {Store} from '../../../src/lib/store/store.js';
import {writeBigImage} from '../../helpers/hostile.js';
import {codeOf, streamSource, tinyImage} from '../../helpers/store.js';
import {tarBytes} from '../../helpers/tar-bytes.js';
import {GOOD_META} from '../../helpers/hostile.js';
import {tempDir} from '../../helpers/tmp.js';
import {view} from '../../helpers/views.js';

const work = tempDir();

/** A writable that takes its time over every chunk, so the writer meets back-pressure on each one. */
function slowSink(): Writable & {bytes: Buffer[]} {
  const bytes: Buffer[] = [];
  const sink = new Writable({
    highWaterMark: 16 << 10,
    write(chunk: Buffer, _enc, cb) {
      bytes.push(chunk);
      setTimeout(cb, 1);
    },
  });
  return Object.assign(sink, {bytes});
}

describe('exportToStream', () => {
  test('24 chunks into a slow writable: exact bytes, one set of listeners, no process warning', async () => {
    const store = new Store({home: join(work, 'stream')});
    const file = writeBigImage(join(work, 'big.tar'), 24);
    const image = await importImage(store, [{path: file}]);
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    try {
      const sink = slowSink();
      await exportToStream(store, image, sink);
      assert.equal(sink.listenerCount('error'), 0, 'no listener left behind');
      assert.equal(sink.listenerCount('drain') + sink.listenerCount('close'), 0);
      assert.equal(sink.writableEnded, false, 'the caller may write more');
      const out = Buffer.concat(sink.bytes);
      assert.equal(out.length, readFileSync(file).length);
      assert.equal(createHash('sha256').update(out).digest('hex'), image.fingerprint);
      // Let a MaxListenersExceededWarning, which is emitted on the next tick, arrive if there is one.
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(
        warnings.map((w) => w.name),
        [],
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('from an offset, for ranged reads; a split image cannot be one stream', async () => {
    const store = new Store({home: join(work, 'offset')});
    const bytes = tinyImage('offset');
    const image = await importImage(store, [streamSource(bytes)]);
    const sink = slowSink();
    await exportToStream(store, image, sink, {start: 1000});
    assert.ok(Buffer.concat(sink.bytes).equals(bytes.subarray(1000)));
    const split = await importImage(store, [streamSource(tarBytes([['metadata.yaml', GOOD_META]]), 'm.tar'), streamSource(tarBytes([['etc/', '']]), 'r.tar')]);
    assert.equal(await codeOf(exportToStream(store, split, slowSink())), 'SplitToStdout');
  });

  test('a failing writable stops the export with its error', async () => {
    const store = new Store({home: join(work, 'fail')});
    const image = await importImage(store, [{path: writeBigImage(join(work, 'fail.tar'), 3)}]);
    const broken = new Writable({
      write(_chunk, _enc, cb) {
        cb(new Error('EPIPE: the reader went away'));
      },
    });
    await assert.rejects(exportToStream(store, image, broken), /the reader went away/);
  });
});

describe('export names and targets', () => {
  const unified = view({fingerprint: 'a'.repeat(64), files: [{role: 'unified', size: 1, kind: 'tar', compression: 'xz', extension: '.tar.xz'}]});
  const split = view({
    fingerprint: 'b'.repeat(64),
    files: [
      {role: 'metadata', size: 1, kind: 'tar', compression: 'xz', extension: '.tar.xz'},
      {role: 'rootfs', size: 1, kind: 'squashfs', compression: 'none', extension: '.squashfs'},
    ],
  });

  test("LXD's names: <fp><ext>, or meta-<fp><ext> and <fp><ext>", () => {
    assert.deepEqual([...exportNames(unified)], [['unified', `${'a'.repeat(64)}.tar.xz`]]);
    assert.deepEqual(
      [...exportNames(split)],
      [
        ['metadata', `meta-${'b'.repeat(64)}.tar.xz`],
        ['rootfs', `${'b'.repeat(64)}.squashfs`],
      ],
    );
  });

  test('a directory target holds the files; another target names them (TARGET<ext>, or TARGET and TARGET.root)', async () => {
    const dir = join(work, 'targets');
    mkdirSync(dir);
    assert.deepEqual([...(await exportTargets(unified, dir)).values()], [join(dir, `${'a'.repeat(64)}.tar.xz`)]);
    assert.deepEqual([...(await exportTargets(unified, join(dir, 'x'))).values()], [join(dir, 'x.tar.xz')]);
    assert.deepEqual([...(await exportTargets(split, join(dir, 'y'))).values()], [join(dir, 'y'), join(dir, 'y.root')]);
    assert.equal(await codeOf(exportTargets(split, join(dir, 'missing') + '/')), 'FileNotFound');
  });
});
