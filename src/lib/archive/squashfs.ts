import {spawn} from 'node:child_process';
import {cpus} from 'node:os';
import {UserError} from '../errors.js';
import type {WriteCompression} from './codecs.js';
import {missingToolError} from './process-stream.js';

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
  const args = [dir, out, '-noappend', '-no-progress', '-quiet', '-processors', String(Math.max(1, cpus().length)), '-mkfs-time', String(opts.mkfsTime)];
  const comp = SQUASHFS_COMP[opts.compression];
  if (comp) args.push('-comp', comp);
  if (opts.allTime !== undefined) args.push('-all-time', String(opts.allTime));
  if (opts.allRoot) args.push('-all-root');
  await run('mksquashfs', args);
}

/** Run a tool to completion; a failure carries its last line of output. */
export function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {stdio: ['ignore', 'pipe', 'pipe']});
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString('utf8')).slice(-8192);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? missingToolError(cmd, err) : err));
    child.on('close', (code) => {
      if (code === 0) return resolve(output);
      const last = output.trim().split('\n').pop() ?? '';
      reject(new UserError(`${cmd} failed${last ? `: ${last}` : ` (exit status ${code})`}`, {code: 'ToolFailed'}));
    });
  });
}
