/**
 * Reading a directory tree as packers see it: children in byte order, each with its lstat;
 * device numbers; the bytes a pack of it reads.
 */
import {lstatSync, readdirSync, type Stats} from 'node:fs';
import {join} from 'node:path';
import {userFsError} from '../errors.js';

/** Byte order of UTF-8 names, as `LC_ALL=C sort` and mksquashfs order them. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

// Linux dev_t → major/minor (glibc's gnu_dev_major/minor).
export const major = (rdev: number): number => Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
export const minor = (rdev: number): number => Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));

/** Sorted children of a directory, each with its lstat. */
export function children(path: string): Array<{name: string; full: string; st: Stats}> {
  const names = readdirSync(path);
  const keyed = names.map((name) => ({name, key: Buffer.from(name)}));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  return keyed.map(({name}) => {
    const full = join(path, name);
    return {name, full, st: lstatSync(full)};
  });
}

/** The bytes of file data packing `dir` reads (each hard-linked file once), for progress. */
export function treeBytes(dir: string): number {
  let total = 0;
  const seen = new Set<string>();
  const visit = (path: string) => {
    for (const c of children(path)) {
      if (c.st.isDirectory()) visit(c.full);
      else if (c.st.isFile()) {
        if (c.st.nlink > 1) {
          const key = `${c.st.dev}:${c.st.ino}`;
          if (seen.has(key)) continue;
          seen.add(key);
        }
        total += c.st.size;
      }
    }
  };
  try {
    visit(dir);
  } catch (err) {
    userFsError(err, (err as NodeJS.ErrnoException).path ?? dir);
  }
  return total;
}
