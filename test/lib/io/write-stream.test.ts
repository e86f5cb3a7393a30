// src/lib/io/write-stream.ts: chunks into someone else's stream, with back-pressure, leaving no trace.
import assert from 'node:assert/strict';
import {PassThrough, Writable} from 'node:stream';
import {describe, test} from 'node:test';
import {writeChunks} from '../../../src/lib/io/write-stream.js';

async function* ring(n: number, size: number): AsyncGenerator<Buffer> {
  // One buffer reused for every chunk, as io/chunks.ts's ring does.
  const buf = Buffer.alloc(size);
  for (let i = 0; i < n; i++) {
    buf.fill(i & 0xff);
    yield buf;
  }
}

describe('writeChunks', () => {
  test('each chunk is written as a copy: a reused buffer does not change what was queued', async () => {
    const got: Buffer[] = [];
    const sink = new Writable({
      highWaterMark: 1 << 20,
      write(chunk: Buffer, _e, cb) {
        got.push(chunk);
        setTimeout(cb, 2);
      },
    });
    await writeChunks(ring(30, 1000), sink);
    assert.equal(sink.writableEnded, false, 'not ended: the caller may write more');
    await new Promise<void>((resolve) => sink.end(resolve));
    assert.equal(got.length, 30);
    got.forEach((c, i) =>
      assert.ok(
        c.every((b) => b === (i & 0xff)),
        `chunk ${i} kept its bytes`,
      ),
    );
    assert.equal(sink.listenerCount('error') + sink.listenerCount('drain') + sink.listenerCount('close'), 0);
  });

  test('called many times on one stream, it adds no listeners (no MaxListenersExceededWarning)', async () => {
    const out = new PassThrough({highWaterMark: 10});
    out.resume();
    for (let i = 0; i < 20; i++) await writeChunks(ring(3, 100), out);
    assert.equal(out.listenerCount('error'), 0);
  });

  test('a stream closed while the writer waits is an error, not a hang', async () => {
    const out = new Writable({
      highWaterMark: 1,
      write(_c, _e, _cb) {
        // Never calls back: the writer waits for 'drain'; then the stream is destroyed.
        setTimeout(() => out.destroy(), 10);
      },
    });
    await assert.rejects(writeChunks(ring(5, 10), out), /closed before everything was written/);
  });

  test('an error of the stream between two waits stops the copy with that error', async () => {
    const out = new PassThrough();
    out.resume();
    async function* chunks() {
      yield Buffer.from('a');
      out.emit('error', new Error('disk on fire'));
      yield Buffer.from('b');
    }
    await assert.rejects(writeChunks(chunks(), out), /disk on fire/);
    assert.equal(out.listenerCount('error'), 0);
  });
});
