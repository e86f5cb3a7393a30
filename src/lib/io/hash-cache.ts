/**
 * Digests of files already read, keyed by path, size, mtime and inode, so a file that has not
 * changed is never hashed again (`img simplestreams add` of the same image files, a re-run after
 * an interrupted export). A changed file has a new mtime or size and misses; a lost or damaged
 * cache only costs a re-read. One JSON file, rewritten atomically.
 */
import {mkdir, readFile, stat} from 'node:fs/promises';
import {dirname} from 'node:path';
import {writeFileAtomic} from './atomic.js';

export interface CachedDigests {
  sha256: string;
  md5?: string;
  /** Anything else worth keeping about the file (an image's facts), as JSON. */
  extra?: unknown;
}

interface Entry extends CachedDigests {
  size: number;
  mtimeMs: number;
  ino: number;
}

/** Entries beyond this are dropped oldest-first: the cache must not grow without end. */
const MAX_ENTRIES = 100_000;

export class HashCache {
  private entries = new Map<string, Entry>();
  private dirty = false;

  private constructor(private readonly file: string) {}

  static async open(file: string): Promise<HashCache> {
    const cache = new HashCache(file);
    try {
      const json = JSON.parse(await readFile(file, 'utf8')) as Record<string, Entry>;
      if (typeof json === 'object' && json !== null) cache.entries = new Map(Object.entries(json));
    } catch {
      // Missing or damaged: start empty.
    }
    return cache;
  }

  /** The digests of `path` if it is the same file, unchanged, as when they were put. */
  async get(path: string): Promise<CachedDigests | undefined> {
    const e = this.entries.get(path);
    if (!e) return undefined;
    const st = await stat(path).catch(() => undefined);
    if (!st || st.size !== e.size || st.mtimeMs !== e.mtimeMs || st.ino !== e.ino) return undefined;
    return {sha256: e.sha256, ...(e.md5 ? {md5: e.md5} : {}), ...(e.extra !== undefined ? {extra: e.extra} : {})};
  }

  /** Remember digests computed from `path` as it is now (stat taken after the read, so a change during it misses next time). */
  async set(path: string, digests: CachedDigests): Promise<void> {
    const st = await stat(path);
    this.entries.delete(path);
    this.entries.set(path, {...digests, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino});
    while (this.entries.size > MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.dirty = true;
  }

  async save(): Promise<void> {
    if (!this.dirty) return;
    await mkdir(dirname(this.file), {recursive: true});
    await writeFileAtomic(this.file, JSON.stringify(Object.fromEntries(this.entries)));
    this.dirty = false;
  }
}
