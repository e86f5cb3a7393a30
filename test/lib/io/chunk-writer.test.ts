// src/lib/io/chunk-writer.ts: whole chunks written at the right positions despite short writes,
// a bounded number of writes in flight, and failures that reach the caller rather than the
// unhandled-rejection handler.
import assert from 'node:assert/strict';
import type {FileHandle} from 'node:fs/promises';
import {describe, test} from 'node:test';
import {CHUNK_LIFETIME} from '../../../src/lib/io/chunks.js';
import {ChunkWriter, WRITES_IN_FLIGHT, writeAll} from '../../../src/lib/io/chunk-writer.js';
import {lcg, seededBytes} from '../../helpers/bytes.js';
import {watchRejections} from '../../helpers/rejections.js';

type Call = {offset: number; length: number; position: number | null};

/**
 * A FileHandle stand-in with the same write(buf, off, len, pos) shape. It writes at most
 * `maxPerCall` bytes per call (a short write), copies the bytes only when the write completes (as
 * the kernel reads the buffer during the write), and counts the writes running at once.
 */
class FakeOut {
  readonly calls: Call[] = [];
  data = Buffer.alloc(0);
  active = 0;
  maxActive = 0;
  finished = 0;
  private cursor = 0;
  private readonly waiting: Array<{position: number | null; go: (err?: Error) => void}> = [];

  constructor(
    private readonly opts: {
      maxPerCall?: number;
      /** 'now': complete in a microtask; 'timer': after a few ms; 'gated': when release() says so. */
      timing?: 'now' | 'timer' | 'gated';
      /** An error for the write at this position, if any. */
      failAt?: (position: number | null) => Error | undefined;
    } = {},
  ) {}

  get handle(): FileHandle {
    return this as unknown as FileHandle;
  }

  async write(buf: Uint8Array, offset: number, length: number, position: number | null): Promise<{bytesWritten: number; buffer: Uint8Array}> {
    this.calls.push({offset, length, position});
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    try {
      await this.delay(position);
      const error = this.opts.failAt?.(position);
      if (error) throw error;
      const n = Math.min(length, this.opts.maxPerCall ?? length);
      const at = position ?? this.cursor;
      if (this.data.length < at + n) this.data = Buffer.concat([this.data, Buffer.alloc(at + n - this.data.length)]);
      this.data.set(buf.subarray(offset, offset + n), at);
      if (position === null) this.cursor += n;
      return {bytesWritten: n, buffer: buf};
    } finally {
      this.active--;
      this.finished++;
    }
  }

  /** Complete the pending (gated) write at `position`, or fail it with `err`. */
  release(position: number, err?: Error): void {
    const i = this.waiting.findIndex((w) => w.position === position);
    assert.ok(i >= 0, `a write is pending at ${position}`);
    this.waiting.splice(i, 1)[0]!.go(err);
  }

  get pending(): number {
    return this.waiting.length;
  }

  private delay(position: number | null): Promise<void> {
    switch (this.opts.timing ?? 'now') {
      case 'now':
        return Promise.resolve();
      case 'timer':
        return new Promise((resolve) => setTimeout(resolve, 1 + (this.calls.length % 3)));
      case 'gated':
        return new Promise((resolve, reject) => {
          this.waiting.push({position, go: (err) => (err ? reject(err) : resolve())});
        });
    }
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Whether `p` has settled after the event loop has turned. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => (done = true),
    () => (done = true),
  );
  await tick();
  return done;
}

describe('writeAll', () => {
  for (const k of [1, 7, 4096]) {
    test(`writes of at most ${k} bytes per call still write every byte at its position`, async () => {
      const out = new FakeOut({maxPerCall: k});
      const chunk = seededBytes(10_000, k);
      await writeAll(out.handle, chunk, 100);
      assert.ok(out.data.subarray(100).equals(chunk), 'the same bytes');
      assert.equal(out.calls.length, Math.ceil(chunk.length / k));
      // Each retry asks for the rest of the chunk, at the file position of its first byte.
      out.calls.forEach((c, i) => assert.deepEqual(c, {offset: i * k, length: chunk.length - i * k, position: 100 + i * k}, `call ${i}`));
    });
  }

  test('position null (the current file position) is passed on as null for every retry', async () => {
    const out = new FakeOut({maxPerCall: 300});
    const chunk = seededBytes(1000, 2);
    await writeAll(out.handle, chunk);
    assert.deepEqual(
      out.calls.map((c) => c.position),
      [null, null, null, null],
    );
    assert.ok(out.data.equals(chunk), 'the same bytes');
  });

  test('an empty chunk makes no write', async () => {
    const out = new FakeOut();
    await writeAll(out.handle, Buffer.alloc(0), 5);
    assert.equal(out.calls.length, 0);
  });

  test('a failing write rejects with its error', async () => {
    const error = new Error('ENOSPC');
    const out = new FakeOut({maxPerCall: 10, failAt: (p) => (p === 20 ? error : undefined)});
    await assert.rejects(writeAll(out.handle, seededBytes(50, 3), 0), (err) => err === error);
    assert.equal(out.calls.length, 3);
  });
});

describe('ChunkWriter', () => {
  test('WRITES_IN_FLIGHT is within what the chunk ring keeps valid', () => {
    assert.ok(WRITES_IN_FLIGHT >= 1, 'at least one write in flight');
    assert.ok(WRITES_IN_FLIGHT <= CHUNK_LIFETIME, 'no more writes in flight than chunks stay valid');
  });

  test('chunks land one after another: each position is the sum of the lengths before it', async () => {
    const r = lcg(5);
    const lengths = [5, 0, 100, 1, 4096, 33, ...Array.from({length: 20}, () => r() % 3000)];
    const chunks = lengths.map((n, i) => seededBytes(n, i + 1));
    const out = new FakeOut({maxPerCall: 700, timing: 'timer'});
    const w = new ChunkWriter(out.handle);
    for (const c of chunks) await w.write(c);
    await w.flush();
    const whole = Buffer.concat(chunks);
    assert.ok(out.data.equals(whole), 'the same bytes');
    // The first write of each non-empty chunk starts where the chunks before it end.
    const starts = new Set(out.calls.filter((c) => c.offset === 0).map((c) => c.position));
    let at = 0;
    for (const c of chunks) {
      if (c.length > 0) assert.ok(starts.has(at), `a write starts at ${at}`);
      at += c.length;
    }
  });

  test(`at most WRITES_IN_FLIGHT (${WRITES_IN_FLIGHT}) writes run at once, and that many do`, async () => {
    const out = new FakeOut({timing: 'timer', maxPerCall: 1000});
    const w = new ChunkWriter(out.handle);
    for (let i = 0; i < 20; i++) await w.write(seededBytes(2500, i));
    await w.flush();
    assert.equal(out.maxActive, WRITES_IN_FLIGHT);
    assert.equal(out.active, 0);
  });

  test('write() resolves at once while there is room, then waits for the oldest write', async () => {
    const out = new FakeOut({timing: 'gated'});
    const w = new ChunkWriter(out.handle);
    for (let i = 0; i < WRITES_IN_FLIGHT; i++) assert.ok(await settled(w.write(Buffer.alloc(10, i))), `write ${i} queued at once`);
    const next = w.write(Buffer.alloc(10, 9));
    assert.equal(await settled(next), false, 'no room');
    // A later write finishing does not make room: the oldest holds its slot.
    out.release(10);
    assert.equal(await settled(next), false, 'still waiting for the oldest');
    out.release(0);
    assert.equal(await settled(next), true);
    assert.equal(out.pending, WRITES_IN_FLIGHT - 1, 'the new write started');
    for (const p of [20, 30]) out.release(p);
    await w.flush();
    assert.ok(out.data.equals(Buffer.concat([0, 1, 2, 9].map((v) => Buffer.alloc(10, v)))), 'the same bytes');
  });

  test('flush waits for every queued write, whatever order they finish in', async () => {
    const out = new FakeOut({timing: 'gated'});
    const w = new ChunkWriter(out.handle);
    for (let i = 0; i < WRITES_IN_FLIGHT; i++) await w.write(Buffer.alloc(4, i + 1));
    const flushed = w.flush();
    for (let i = WRITES_IN_FLIGHT - 1; i >= 0; i--) {
      assert.equal(await settled(flushed), false, `flush waits (${i + 1} pending)`);
      out.release(i * 4);
    }
    await flushed;
    assert.equal(out.finished, WRITES_IN_FLIGHT);
  });

  test('flush throws the first failure, in queue order, and no rejection is left unhandled', async (t) => {
    const rejections = watchRejections(t);
    const first = new Error('EIO at 10');
    const second = new Error('EIO at 20');
    const out = new FakeOut({timing: 'gated'});
    const w = new ChunkWriter(out.handle);
    await w.write(Buffer.alloc(10, 1));
    await w.write(Buffer.alloc(10, 2));
    // The later write fails first; the one queued first still decides what flush throws.
    out.release(10, second);
    await tick();
    out.release(0, first);
    await assert.rejects(w.flush(), (err) => err === first);
    await w.settle();
    await rejections.assertNone();
  });

  test('flush waits for every queued write even when one of them fails', async () => {
    const out = new FakeOut({timing: 'gated'});
    const w = new ChunkWriter(out.handle);
    await w.write(Buffer.alloc(8, 1));
    await w.write(Buffer.alloc(8, 2));
    const flushed = w.flush();
    flushed.catch(() => undefined);
    out.release(0, new Error('EIO'));
    assert.equal(await settled(flushed), false, 'flush still waits for the write at 8');
    out.release(8);
    await assert.rejects(flushed, /EIO/);
  });

  test('a failure surfaces from the write() that waits for it, not as an unhandled rejection', async (t) => {
    const rejections = watchRejections(t);
    const error = new Error('EIO');
    const out = new FakeOut({failAt: (p) => (p === 0 ? error : undefined)});
    const w = new ChunkWriter(out.handle);
    for (let i = 0; i < WRITES_IN_FLIGHT; i++) await w.write(Buffer.alloc(16, i));
    await assert.rejects(w.write(Buffer.alloc(16, 9)), (err) => err === error);
    await w.settle();
    await rejections.assertNone();
  });

  test('a failure with fewer than WRITES_IN_FLIGHT queued surfaces from flush()', async (t) => {
    const rejections = watchRejections(t);
    const error = new Error('EIO');
    const out = new FakeOut({failAt: (p) => (p === 16 ? error : undefined)});
    const w = new ChunkWriter(out.handle);
    await w.write(Buffer.alloc(16, 1));
    await w.write(Buffer.alloc(16, 2));
    await tick();
    await assert.rejects(w.flush(), (err) => err === error);
    await rejections.assertNone();
  });

  test('settle never throws, and waits for every write, failed or not', async (t) => {
    const rejections = watchRejections(t);
    const out = new FakeOut({timing: 'gated'});
    const w = new ChunkWriter(out.handle);
    for (let i = 0; i < WRITES_IN_FLIGHT; i++) await w.write(Buffer.alloc(4, i));
    const settling = w.settle();
    for (let i = 0; i < WRITES_IN_FLIGHT; i++) {
      assert.equal(await settled(settling), false, `settle waits (${WRITES_IN_FLIGHT - i} pending)`);
      out.release(i * 4, i % 2 === 0 ? new Error(`EIO ${i}`) : undefined);
    }
    await settling;
    assert.equal(out.finished, WRITES_IN_FLIGHT);
    // Nothing is left queued: a flush after settle has nothing to throw.
    await w.flush();
    await rejections.assertNone();
  });
});
