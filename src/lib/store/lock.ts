import {open} from 'node:fs/promises';
import * as fsx from 'fs-native-extensions';

/**
 * An exclusive lock on a file, held through an open file description (Linux OFD lock): the
 * kernel releases it when the holder closes the file or dies, even by kill -9, so a crashed img
 * never leaves the store locked.
 */
export class FileLock {
  private constructor(private readonly handle: Awaited<ReturnType<typeof open>>) {}

  /** Take the lock, waiting for it; `onWait` is called once if someone else holds it. */
  static async acquire(path: string, onWait?: () => void): Promise<FileLock> {
    const handle = await open(path, 'a+');
    try {
      if (!fsx.tryLock(handle.fd)) {
        onWait?.();
        await fsx.waitForLock(handle.fd);
      }
    } catch (err) {
      await handle.close();
      throw err;
    }
    return new FileLock(handle);
  }

  /** Take the lock if it is free; undefined when another process holds it. */
  static async tryAcquire(path: string): Promise<FileLock | undefined> {
    let handle;
    try {
      handle = await open(path, 'r+');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (fsx.tryLock(handle.fd)) return new FileLock(handle);
    await handle.close();
    return undefined;
  }

  async release(): Promise<void> {
    await this.handle.close();
  }
}

/**
 * Each open() is its own file description, so two lock holders inside one process exclude each
 * other like two processes would: a nested acquire would wait on itself forever. Callers in one
 * process take turns through this queue before they take the file lock.
 */
export class ProcessMutex {
  private tail: Promise<void> = Promise.resolve();

  async run<T>(fn: () => Promise<T>): Promise<T> {
    const previous = this.tail;
    let release!: () => void;
    this.tail = new Promise((r) => (release = r));
    await previous;
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
