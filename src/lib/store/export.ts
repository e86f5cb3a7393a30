import {constants as fsc} from 'node:fs';
import {copyFile, rename, stat, unlink} from 'node:fs/promises';
import {join} from 'node:path';
import type {Writable} from 'node:stream';
import {UserError, userFsError} from '../errors.js';
import type {FileRole, ImageRecord} from '../image/types.js';
import {tempNameBeside} from '../io/atomic.js';
import {writeChunks} from '../io/write-stream.js';
import type {Store} from './store.js';

/** The file names LXD gives an image's files on export: <fp>.tar.xz, or meta-<fp>.tar.xz + <fp>.squashfs. */
export function exportNames(record: ImageRecord): Map<FileRole, string> {
  const names = new Map<FileRole, string>();
  for (const f of record.files) {
    names.set(f.role, f.role === 'metadata' ? `meta-${record.fingerprint}${f.extension}` : `${record.fingerprint}${f.extension}`);
  }
  return names;
}

export interface ExportedFile {
  role: FileRole;
  path: string;
  size: number;
}

/**
 * Where `lxc image export IMG [TARGET]` would write each file: inside TARGET when it is an
 * existing directory (`<fp>.tar.xz`, or `meta-<fp>.tar.xz` + `<fp>.squashfs`); otherwise TARGET
 * names the file: `TARGET<ext>` for a unified image, `TARGET` + `TARGET.root` for a split one.
 */
export async function exportTargets(record: ImageRecord, target: string): Promise<Map<FileRole, string>> {
  const isDir = await stat(target).then(
    (s) => s.isDirectory(),
    () => false,
  );
  if (!isDir && target.endsWith('/')) throw new UserError(`${target}: no such directory`, {code: 'FileNotFound'});
  const names = exportNames(record);
  const out = new Map<FileRole, string>();
  for (const file of record.files) {
    if (isDir) out.set(file.role, join(target, names.get(file.role)!));
    else if (file.role === 'unified') out.set(file.role, `${target}${file.extension}`);
    else out.set(file.role, file.role === 'metadata' ? target : `${target}.root`);
  }
  return out;
}

/**
 * Write an image's files, byte-identical to what was imported, named as LXD names them. Each
 * file is copied to a temporary name beside its target and renamed, so an interrupted export
 * never leaves a truncated file under the final name.
 */
export async function exportImage(store: Store, record: ImageRecord, target: string): Promise<ExportedFile[]> {
  const targets = await exportTargets(record, target);
  const written: ExportedFile[] = [];
  for (const file of record.files) {
    const dest = targets.get(file.role)!;
    const tmp = tempNameBeside(dest);
    try {
      // The local fast path: FICLONE makes a reflink where the filesystem can; elsewhere the kernel copies.
      await copyFile(store.filePath(record.fingerprint, file.role), tmp, fsc.COPYFILE_FICLONE);
      await rename(tmp, dest);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      userFsError(err, dest);
    }
    written.push({role: file.role, path: dest, size: file.size});
  }
  return written;
}

/**
 * Stream a unified image to `out` (stdout for `-`; later a served HTTP response) from `start`,
 * with back-pressure. `out` is not ended, so the caller may write more; a failure of either side
 * stops the copy and is thrown.
 */
export async function exportToStream(store: Store, record: ImageRecord, out: Writable, opts: {start?: number} = {}): Promise<void> {
  if (record.files.length !== 1) {
    throw new UserError('a split image is two files and cannot be written to stdout; give a directory', {code: 'SplitToStdout'});
  }
  await writeChunks(store.readChunks(record.fingerprint, 'unified', opts), out);
}
