// src/lib/io/chunks.ts: files and streams read as large chunks from a reused ring of buffers.
// Reassembly must be byte-exact for any size and any piece size, and a yielded chunk must stay
// intact for CHUNK_LIFETIME more chunks, since ChunkWriter keeps writes of earlier chunks going.
import assert from 'node:assert/strict';
import type {FileHandle} from 'node:fs/promises';
import {open, writeFile} from 'node:fs/promises';
import {join} from 'node:path';
import {Readable} from 'node:stream';
import {describe, test} from 'node:test';
import {CHUNK_LIFETIME, CHUNK_SIZE, fileChunks, streamChunks} from '../../../src/lib/io/chunks.js';
import {lcg, seededBytes} from '../../helpers/bytes.js';
import {watchRejections} from '../../helpers/rejections.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();
/** Small chunks keep the files small while still crossing many chunk boundaries. */
const CS = 4096;
/** chunks.ts keeps this many reads in flight ahead of the chunk the consumer holds (private there). */
const READ_AHEAD = 3;
const SIZES = [0, 1, CS - 1, CS, CS + 1, 3 * CS + 123];

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Copies of every chunk, since the chunks themselves are reused. */
async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of chunks) out.push(Buffer.from(c));
  return out;
}

/** Every chunk but the last is exactly `size` bytes, and none is empty. */
function assertShape(chunks: Buffer[], total: number, size: number): void {
  assert.equal(chunks.length, Math.ceil(total / size), 'chunk count');
  chunks.forEach((c, i) => {
    if (i < chunks.length - 1) assert.equal(c.length, size, `chunk ${i} is full`);
    else assert.ok(c.length > 0 && c.length <= size, `last chunk has ${c.length} bytes`);
  });
}

async function withFile<T>(name: string, data: Buffer, fn: (h: FileHandle) => Promise<T>): Promise<T> {
  const path = join(work, name);
  await writeFile(path, data);
  const h = await open(path, 'r');
  try {
    return await fn(h);
  } finally {
    await h.close();
  }
}

type Gate = {release(): void};

/**
 * A FileHandle stand-in over `data` with the same read(buf, off, len, pos) shape. By default a read
 * copies into the buffer at once, inside the call: the harshest case for the ring, as a
 * read-ahead then overwrites its buffer before the consumer has moved on.
 */
class FakeFile {
  readonly calls: Array<{length: number; position: number}> = [];
  readonly gates: Gate[] = [];

  constructor(
    private readonly data: Buffer,
    private readonly opts: {mode?: 'sync' | 'later' | 'gated'; failAt?: number; error?: Error} = {},
  ) {}

  read(buf: Buffer, off: number, len: number, pos: number): Promise<{bytesRead: number; buffer: Buffer}> {
    const call = this.calls.length;
    this.calls.push({length: len, position: pos});
    const fill = () => {
      if (call === this.opts.failAt) throw this.opts.error ?? new Error(`read ${call} failed`);
      const n = Math.max(0, Math.min(len, this.data.length - pos));
      this.data.copy(buf, off, pos, pos + n);
      return {bytesRead: n, buffer: buf};
    };
    switch (this.opts.mode ?? 'sync') {
      case 'sync':
        try {
          return Promise.resolve(fill());
        } catch (err) {
          return Promise.reject(err);
        }
      case 'later':
        return new Promise((resolve, reject) => {
          setTimeout(() => {
            try {
              resolve(fill());
            } catch (err) {
              reject(err);
            }
          }, call % 3);
        });
      case 'gated':
        return new Promise((resolve, reject) => {
          this.gates.push({
            release: () => {
              try {
                resolve(fill());
              } catch (err) {
                reject(err);
              }
            },
          });
        });
    }
  }
}

const asHandle = (f: FakeFile): FileHandle => f as unknown as FileHandle;

/** At each yield, the chunk just yielded and the CHUNK_LIFETIME before it still hold their bytes. */
async function assertLifetime(chunks: AsyncIterable<Buffer>, source: Buffer, size: number, between?: () => Promise<void>): Promise<number> {
  const kept: Buffer[] = [];
  for await (const c of chunks) {
    kept.push(c);
    const j = kept.length - 1;
    for (let i = Math.max(0, j - CHUNK_LIFETIME); i <= j; i++) {
      const want = source.subarray(i * size, (i + 1) * size);
      assert.ok(kept[i]!.equals(want), `chunk ${i} intact when chunk ${j} is yielded`);
    }
    if (between) await between();
  }
  return kept.length;
}

describe('fileChunks', () => {
  for (const size of SIZES) {
    test(`a ${size}-byte file is reassembled byte for byte from full chunks`, async () => {
      const data = seededBytes(size, size + 1);
      const chunks = await withFile(`f${size}`, data, (h) => collect(fileChunks(h, {chunkSize: CS})));
      assertShape(chunks, size, CS);
      assert.ok(Buffer.concat(chunks).equals(data), 'the same bytes');
    });
  }

  test('the default chunk size is CHUNK_SIZE', async () => {
    const data = seededBytes(2 * CHUNK_SIZE + 5000, 7);
    const chunks = await withFile('default', data, (h) => collect(fileChunks(h)));
    assertShape(chunks, data.length, CHUNK_SIZE);
    assert.ok(Buffer.concat(chunks).equals(data), 'the same bytes');
  });

  test('start in the middle (not on a chunk boundary) gives the bytes from there, in full chunks', async () => {
    const data = seededBytes(3 * CS + 123, 3);
    const start = CS + 1000;
    const chunks = await withFile('start', data, (h) => collect(fileChunks(h, {chunkSize: CS, start})));
    assertShape(chunks, data.length - start, CS);
    assert.ok(Buffer.concat(chunks).equals(data.subarray(start)), 'the same bytes');
  });

  test('start at the end, or past it, gives no chunks', async () => {
    const data = seededBytes(2 * CS, 4);
    await withFile('start-end', data, async (h) => {
      assert.deepEqual(await collect(fileChunks(h, {chunkSize: CS, start: data.length})), []);
      assert.deepEqual(await collect(fileChunks(h, {chunkSize: CS, start: data.length + 1})), []);
      assert.deepEqual(await collect(fileChunks(h, {chunkSize: CS, start: 10 * CS})), []);
    });
  });

  test('reads go to consecutive positions from start', async () => {
    const fake = new FakeFile(seededBytes(5 * CS + 1, 5));
    await collect(fileChunks(asHandle(fake), {chunkSize: CS, start: 7}));
    fake.calls.forEach((c, i) => assert.deepEqual(c, {length: CS, position: 7 + i * CS}, `read ${i}`));
  });

  for (const mode of ['sync', 'later'] as const) {
    test(`a yielded chunk stays intact until CHUNK_LIFETIME more have been yielded (reads that complete ${mode === 'sync' ? 'at once' : 'later'})`, async () => {
      const size = 64;
      const data = seededBytes(40 * size + 10, 9);
      // Letting the loop turn between chunks gives the read-aheads time to land in the ring.
      const n = await assertLifetime(fileChunks(asHandle(new FakeFile(data, {mode})), {chunkSize: size}), data, size, tick);
      assert.equal(n, 41);
    });
  }

  test('the validity rule holds on a real file', async () => {
    const data = seededBytes(30 * CS, 10);
    await withFile('lifetime', data, (h) => assertLifetime(fileChunks(h, {chunkSize: CS}), data, CS, tick));
  });

  test('the ring is reused: the buffers behind the chunks do not grow in number with the file', async () => {
    const slots = async (n: number) => {
      const seen = new Set<string>();
      for await (const c of fileChunks(asHandle(new FakeFile(seededBytes(n * 64, 11))), {chunkSize: 64})) seen.add(`${bufferId(c.buffer)}:${c.byteOffset}`);
      return seen.size;
    };
    const few = await slots(30);
    assert.ok(few < 30, `${few} buffers for 30 chunks`);
    assert.equal(await slots(120), few);
  });

  test(`${READ_AHEAD} reads are kept in flight ahead of the consumer, and no more while it holds a chunk`, async () => {
    const fake = new FakeFile(seededBytes(20 * CS, 12), {mode: 'gated'});
    const it = fileChunks(asHandle(fake), {chunkSize: CS});
    const first = it.next();
    await tick();
    assert.equal(fake.calls.length, READ_AHEAD, 'reads issued before any completes');
    fake.gates[0]!.release();
    const r = await first;
    assert.equal(r.done, false);
    // Handing out chunk 0 issued the read for chunk 3; then reading waits for the consumer.
    await tick();
    assert.equal(fake.calls.length, READ_AHEAD + 1);
    for (const g of fake.gates.slice(1)) g.release();
    await tick();
    assert.equal(fake.calls.length, READ_AHEAD + 1, 'no read runs ahead of the window');
    await it.return(undefined);
  });

  test('an early break closes cleanly: the file can be closed and no rejection is left unhandled', async (t) => {
    const rejections = watchRejections(t);
    const data = seededBytes(10 * CS, 13);
    await withFile('break', data, async (h) => {
      let n = 0;
      for await (const c of fileChunks(h, {chunkSize: CS})) {
        assert.ok(c.equals(data.subarray(0, CS)), 'the same bytes');
        if (++n === 1) break;
      }
    });
    await rejections.assertNone();
  });

  test('a read-ahead that fails after an early break is not an unhandled rejection', async (t) => {
    const rejections = watchRejections(t);
    const fake = new FakeFile(seededBytes(10 * CS, 14), {failAt: 2, mode: 'later'});
    for await (const c of fileChunks(asHandle(fake), {chunkSize: CS})) {
      assert.equal(c.length, CS);
      break;
    }
    // Let the failing read-ahead settle after the loop has gone.
    await new Promise((resolve) => setTimeout(resolve, 20));
    await rejections.assertNone();
  });

  for (const mode of ['sync', 'later'] as const) {
    test(`a read error mid-file is thrown to the consumer after the chunks before it (${mode})`, async (t) => {
      const rejections = watchRejections(t);
      const data = seededBytes(10 * CS, 15);
      const error = new Error('EIO: i/o error, read');
      const fake = new FakeFile(data, {failAt: 4, error, mode});
      const got: Buffer[] = [];
      await assert.rejects(
        async () => {
          for await (const c of fileChunks(asHandle(fake), {chunkSize: CS})) got.push(Buffer.from(c));
        },
        (err) => err === error,
      );
      assert.equal(got.length, 4);
      assert.ok(Buffer.concat(got).equals(data.subarray(0, 4 * CS)), 'the same bytes');
      await rejections.assertNone();
    });
  }

  test('a failing first read rejects the first next()', async () => {
    const error = new Error('EBADF');
    await assert.rejects(collect(fileChunks(asHandle(new FakeFile(seededBytes(CS, 16), {failAt: 0, error})), {chunkSize: CS})), (err) => err === error);
  });
});

/** Cut `data` into pieces of the sizes `next()` gives (0 allowed), as Uint8Arrays, not Buffers. */
function cut(data: Buffer, next: () => number): Uint8Array[] {
  const pieces: Uint8Array[] = [];
  for (let i = 0; i < data.length;) {
    const n = Math.min(next(), data.length - i);
    pieces.push(new Uint8Array(data.buffer, data.byteOffset + i, n));
    i += n;
  }
  return pieces;
}

async function* iterate(pieces: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const p of pieces) {
    await Promise.resolve();
    yield p;
  }
}

/** Piece sizes for a chunk size `cs`: each entry makes a fresh sequence. */
const PIECES: Array<[string, (cs: number) => () => number]> = [
  ['1-byte pieces', () => () => 1],
  ['pieces larger than a chunk', (cs) => () => 2 * cs + (cs >> 1) + 3],
  [
    'mixed pieces (empty, tiny, about a chunk, several chunks)',
    (cs) => {
      const r = lcg(42);
      const sizes = [0, 1, 3, cs - 1, cs, cs + 1, 3 * cs + 7, 100];
      return () => sizes[r() % sizes.length]!;
    },
  ],
];

describe('streamChunks', () => {
  for (const [what, sizer] of PIECES) {
    for (const size of SIZES) {
      test(`${what}, ${size} bytes: regrouped into full chunks, byte for byte`, async () => {
        const data = seededBytes(size, size + 100);
        const chunks = await collect(streamChunks(iterate(cut(data, sizer(CS))), {chunkSize: CS}));
        assertShape(chunks, size, CS);
        assert.ok(Buffer.concat(chunks).equals(data), 'the same bytes');
      });
    }
  }

  test('a Readable of 64 KiB pieces with the default chunk size', async () => {
    const data = seededBytes(3 * CHUNK_SIZE + 777, 17);
    const chunks = await collect(streamChunks(Readable.from(cut(data, () => 65536).map((p) => Buffer.from(p)))));
    assertShape(chunks, data.length, CHUNK_SIZE);
    assert.ok(Buffer.concat(chunks).equals(data), 'the same bytes');
  });

  for (const [what, sizer] of PIECES) {
    test(`a yielded chunk stays intact until CHUNK_LIFETIME more have been yielded (${what})`, async () => {
      const size = 64;
      const data = seededBytes(40 * size + 10, 18);
      assert.equal(await assertLifetime(streamChunks(iterate(cut(data, sizer(size))), {chunkSize: size}), data, size, tick), 41);
    });
  }

  test('an input stream that errors mid-way rejects the iteration, after the chunks before it', async () => {
    const data = seededBytes(5 * CS, 19);
    const error = new Error('ECONNRESET');
    const source = new Readable({read() {}});
    source.push(data.subarray(0, 2 * CS + 10));
    setImmediate(() => source.destroy(error));
    const got: Buffer[] = [];
    await assert.rejects(
      async () => {
        for await (const c of streamChunks(source, {chunkSize: CS})) got.push(Buffer.from(c));
      },
      (err) => err === error,
    );
    assert.ok(Buffer.concat(got).equals(data.subarray(0, 2 * CS)), 'the full chunks before the error');
  });

  test('an async iterable that throws mid-way rejects the iteration', async () => {
    const error = new Error('boom');
    async function* broken(): AsyncGenerator<Uint8Array> {
      yield seededBytes(CS + 1, 20);
      throw error;
    }
    await assert.rejects(collect(streamChunks(broken(), {chunkSize: CS})), (err) => err === error);
  });

  test('an early break destroys the input stream and leaves no rejection unhandled', async (t) => {
    const rejections = watchRejections(t);
    const data = seededBytes(8 * CS, 21);
    const source = Readable.from(cut(data, () => 1000).map((p) => Buffer.from(p)));
    for await (const c of streamChunks(source, {chunkSize: CS})) {
      assert.ok(c.equals(data.subarray(0, CS)), 'the same bytes');
      break;
    }
    assert.equal(source.destroyed, true);
    await rejections.assertNone();
  });
});

const ids = new WeakMap<ArrayBufferLike, number>();
let nextId = 0;
/** A stable number for an ArrayBuffer, to count distinct ones. */
function bufferId(b: ArrayBufferLike): number {
  let id = ids.get(b);
  if (id === undefined) ids.set(b, (id = nextId++));
  return id;
}
