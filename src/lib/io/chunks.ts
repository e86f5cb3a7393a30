import type {FileHandle} from 'node:fs/promises';
import type {Readable} from 'node:stream';

/**
 * Image data moves in large chunks: Node's default 64 KiB stream chunks hash at about 60% of
 * OpenSSL's speed on our reference machine; 1 MiB chunks reach it (bench/README.md).
 */
export const CHUNK_SIZE = 1 << 20;
/**
 * When every chunk is also copied, smaller chunks win (1 GiB import: 1.12 s with 256 KiB against
 * 1.18 s with 1 MiB and 1.20 s with 128 KiB; bench/README.md): a chunk that fits the L2 cache is
 * still there when the hash and then the write read it.
 */
export const COPY_CHUNK_SIZE = 256 << 10;
/** Reads kept in flight ahead of the consumer, so a slow read does not stall hashing. */
const READ_AHEAD = 3;
/**
 * Chunks come from a ring of this many reused buffers, so memory stays flat. A yielded chunk
 * stays valid until CHUNK_LIFETIME more chunks have been yielded: enough for a consumer that
 * keeps up to WRITES_IN_FLIGHT writes of earlier chunks going while it hashes the next.
 */
const RING = 8;
export const CHUNK_LIFETIME = RING - READ_AHEAD - 1;

/** Read a file in large chunks, with reads kept in flight ahead of the consumer. */
export async function* fileChunks(handle: FileHandle, opts: {chunkSize?: number; start?: number} = {}): AsyncGenerator<Buffer> {
  const size = opts.chunkSize ?? CHUNK_SIZE;
  const ring = Array.from({length: RING}, () => Buffer.allocUnsafe(size));
  let position = opts.start ?? 0;
  let slot = 0;
  const pending: Array<Promise<Buffer>> = [];
  const issue = () => {
    const buf = ring[slot]!;
    slot = (slot + 1) % RING;
    const p = handle.read(buf, 0, size, position).then(({bytesRead}) => buf.subarray(0, bytesRead));
    // A read-ahead that fails after the consumer stopped must not be an unhandled rejection.
    p.catch(() => undefined);
    position += size;
    pending.push(p);
  };
  for (let i = 0; i < READ_AHEAD; i++) issue();
  for (;;) {
    const chunk = await pending.shift()!;
    if (chunk.length === 0) return;
    issue();
    yield chunk;
    if (chunk.length < size) return;
  }
}

/**
 * Regroup a byte stream (stdin, a pipe, a socket: usually 64 KiB pieces) into large chunks from a
 * reused ring, with the same validity rule as fileChunks.
 */
export async function* streamChunks(stream: Readable | AsyncIterable<Uint8Array>, opts: {chunkSize?: number} = {}): AsyncGenerator<Buffer> {
  const size = opts.chunkSize ?? CHUNK_SIZE;
  const ring = Array.from({length: RING}, () => Buffer.allocUnsafe(size));
  let slot = 0;
  let fill = 0;
  for await (const piece of stream as AsyncIterable<Uint8Array>) {
    let offset = 0;
    while (offset < piece.length) {
      const buf = ring[slot]!;
      const n = Math.min(size - fill, piece.length - offset);
      buf.set(piece.subarray(offset, offset + n), fill);
      fill += n;
      offset += n;
      if (fill === size) {
        yield buf;
        slot = (slot + 1) % RING;
        fill = 0;
      }
    }
  }
  if (fill > 0) yield ring[slot]!.subarray(0, fill);
}
