import {open} from 'node:fs/promises';
import {fileChunks} from './chunks.js';

/** Anything bytes can be fed to: a node:crypto Hash, or img's fingerprint hashers. */
export interface Updatable {
  update(data: Uint8Array): unknown;
}

/**
 * Feed every chunk to each of `hashes`, in one pass over the data; returns the byte count.
 * `onBytes` hears each chunk's length (progress).
 */
export async function hashChunks(chunks: AsyncIterable<Buffer>, hashes: readonly Updatable[], onBytes?: (n: number) => void): Promise<number> {
  let size = 0;
  for await (const chunk of chunks) {
    for (const h of hashes) h.update(chunk);
    size += chunk.length;
    onBytes?.(chunk.length);
  }
  return size;
}

/** hashChunks over a file read in large chunks (io/chunks.ts). */
export async function hashFile(path: string, hashes: readonly Updatable[], onBytes?: (n: number) => void): Promise<number> {
  const handle = await open(path, 'r');
  try {
    return await hashChunks(fileChunks(handle), hashes, onBytes);
  } finally {
    await handle.close();
  }
}
