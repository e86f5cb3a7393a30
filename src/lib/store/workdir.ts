import {randomBytes} from 'node:crypto';
import {mkdir, readdir, rm, unlink} from 'node:fs/promises';
import {join} from 'node:path';
import {FileLock} from './lock.js';

/**
 * A private directory under tmp/ for work in progress (an import, a build). Its owner holds a
 * lock on `<dir>.lock` for as long as it lives; a directory whose lock can be taken belongs to a
 * process that died, and is removed by the next cleanup.
 */
export class WorkDir {
  private constructor(
    readonly path: string,
    private readonly lockPath: string,
    private readonly lock: FileLock,
  ) {}

  /** Create one. Call with the store lock held, so that a cleanup never races a creation. */
  static async create(tmp: string, kind: string): Promise<WorkDir> {
    const id = `${kind}-${process.pid}-${randomBytes(6).toString('hex')}`;
    const lockPath = join(tmp, `${id}.lock`);
    const lock = await FileLock.acquire(lockPath);
    const path = join(tmp, id);
    await mkdir(path);
    return new WorkDir(path, lockPath, lock);
  }

  /** Remove what is left of the directory (nothing, once it was renamed into the store). */
  async dispose(): Promise<void> {
    await rm(this.path, {recursive: true, force: true});
    await unlink(this.lockPath).catch(() => undefined);
    await this.lock.release();
  }
}

/**
 * Where downloads keep their `.partial` files: they outlive the process that wrote them on
 * purpose (a retry resumes them), so the cleanup below leaves this directory alone.
 */
export const DOWNLOADS = 'downloads';

/**
 * Remove leftovers of dead processes from tmp/: work directories whose lock is free, and
 * anything without a lock file (trash of an interrupted delete). Call with the store lock held.
 */
export async function cleanTmp(tmp: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(tmp);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const removed: string[] = [];
  const set = new Set(names);
  for (const name of names) {
    if (name === DOWNLOADS) continue;
    if (name.endsWith('.lock')) {
      const lock = await FileLock.tryAcquire(join(tmp, name));
      if (!lock) continue;
      const dir = name.slice(0, -'.lock'.length);
      await rm(join(tmp, dir), {recursive: true, force: true});
      await unlink(join(tmp, name)).catch(() => undefined);
      await lock.release();
      removed.push(dir);
    } else if (!set.has(`${name}.lock`)) {
      await rm(join(tmp, name), {recursive: true, force: true});
      removed.push(name);
    }
  }
  return removed;
}
