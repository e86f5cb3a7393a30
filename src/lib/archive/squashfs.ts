import {availableParallelism} from 'node:os';
import type {WriteCompression} from './codecs.js';
import {run} from './tools.js';

export interface SquashfsOptions {
  compression: WriteCompression;
  /** Filesystem creation time and, when set, every file's time (SOURCE_DATE_EPOCH). */
  mkfsTime: number;
  allTime?: number;
  allRoot?: boolean;
}

/** The codecs mksquashfs shares with our tarballs; the others fall back to its default (gzip). */
const SQUASHFS_COMP: Partial<Record<WriteCompression, string>> = {gzip: 'gzip', xz: 'xz', zstd: 'zstd'};

/**
 * Build a squashfs image of `dir` with mksquashfs. Its output is reproducible (the default since
 * squashfs-tools 4.4) once the filesystem time is fixed, which -mkfs-time does.
 */
export async function makeSquashfs(dir: string, out: string, opts: SquashfsOptions): Promise<void> {
  const args = [dir, out, '-noappend', '-no-progress', '-quiet', '-processors', String(availableParallelism()), '-mkfs-time', String(opts.mkfsTime)];
  const comp = SQUASHFS_COMP[opts.compression];
  if (comp) args.push('-comp', comp);
  if (opts.allTime !== undefined) args.push('-all-time', String(opts.allTime));
  if (opts.allRoot) args.push('-all-root');
  // mksquashfs 4.5+ reads SOURCE_DATE_EPOCH itself and refuses it beside -mkfs-time/-all-time,
  // which carry the same time here: the user's `SOURCE_DATE_EPOCH=… img publish` must not fail.
  const {SOURCE_DATE_EPOCH: _, ...env} = process.env;
  await run('mksquashfs', args, env);
}

/** Read a squashfs image's whole directory tree (superblock, inode and directory tables); throws what is wrong. */
export async function checkSquashfs(path: string): Promise<void> {
  await run('unsquashfs', ['-no-progress', '-lls', '-n', path]);
}
