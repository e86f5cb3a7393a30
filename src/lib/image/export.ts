import {constants as fsc} from 'node:fs';
import {copyFile, rename, stat, unlink} from 'node:fs/promises';
import {join} from 'node:path';
import type {Writable} from 'node:stream';
import {UserError, userFsError} from '../errors.js';
import {tempNameBeside} from '../io/atomic.js';
import {fileChunks} from '../io/chunks.js';
import {exportNames, type ImageRecord} from '../store/record.js';
import type {Store} from '../store/store.js';
import type {FileRole} from './read-image.js';

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
  const isDir = await stat(target).then((s) => s.isDirectory(), () => false);
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
      // FICLONE makes a reflink where the filesystem can; elsewhere the kernel copies.
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

/** Stream a unified image to `out` (stdout for `-`). */
export async function exportToStream(store: Store, record: ImageRecord, out: Writable): Promise<void> {
  if (record.files.length !== 1) {
    throw new UserError('a split image is two files and cannot be written to stdout; give a directory', {code: 'SplitToStdout'});
  }
  const handle = await store.openFile(record.fingerprint, 'unified');
  try {
    for await (const chunk of fileChunks(handle)) {
      if (!out.write(chunk)) await new Promise((resolve, reject) => {
        out.once('drain', resolve);
        out.once('error', reject);
      });
    }
  } finally {
    await handle.close();
  }
}
