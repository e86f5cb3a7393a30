import {createHash} from 'node:crypto';
import {createReadStream} from 'node:fs';
import {pipeline} from 'node:stream/promises';
import * as tar from 'tar-stream';
import {createDecompressor} from '../archive/codecs.js';
import {run} from '../archive/squashfs.js';
import {isUserError} from '../errors.js';
import {CHUNK_SIZE, fileChunks} from '../io/chunks.js';
import type {ImageRecord, StoredFile} from '../store/record.js';
import type {Store} from '../store/store.js';

export interface VerifyProblem {
  file: string;
  /** `mismatch`: the bytes differ from what was imported; `corrupt`: --deep found a damaged archive; `missing`. */
  kind: 'mismatch' | 'corrupt' | 'missing';
  expected?: string;
  got?: string;
  detail?: string;
}

export interface VerifyResult {
  fingerprint: string;
  ok: boolean;
  problems: VerifyProblem[];
}

/**
 * Re-hash an image's stored files and compare with its fingerprint (and each file's own sha256
 * where known). With `deep`, also read every archive to its end — decompression checks and
 * tar structure — which an import does not do (LXD reads only until metadata.yaml and rootfs/).
 */
export async function verifyImage(store: Store, record: ImageRecord, opts: {deep?: boolean; onProgress?: (n: number) => void} = {}): Promise<VerifyResult> {
  const problems: VerifyProblem[] = [];
  const fp = createHash('sha256');
  let missing = false;
  for (const file of record.files) {
    const size = await store.storedSize(record.fingerprint, file.role);
    if (size === undefined) {
      problems.push({file: file.role, kind: 'missing'});
      missing = true;
      continue;
    }
    const own = createHash('sha256');
    const handle = await store.openFile(record.fingerprint, file.role);
    try {
      for await (const chunk of fileChunks(handle)) {
        fp.update(chunk);
        own.update(chunk);
        opts.onProgress?.(chunk.length);
      }
    } finally {
      await handle.close();
    }
    const got = own.digest('hex');
    const expected = file.sha256 ?? (record.files.length === 1 ? record.fingerprint : undefined);
    if (expected && got !== expected) problems.push({file: file.role, kind: 'mismatch', expected, got});
    else if (size !== file.size) problems.push({file: file.role, kind: 'mismatch', expected: `${file.size} bytes`, got: `${size} bytes`});
  }
  if (!missing) {
    const got = fp.digest('hex');
    if (got !== record.fingerprint && problems.length === 0) {
      // Only a file whose own digest is not recorded (a split rootfs) can explain this.
      const suspect = record.files.find((f) => !f.sha256) ?? record.files[record.files.length - 1]!;
      problems.push({file: suspect.role, kind: 'mismatch', expected: record.fingerprint, got});
    }
  }
  if (opts.deep && problems.length === 0) {
    for (const file of record.files) {
      const detail = await deepCheck(store, record, file);
      if (detail) problems.push({file: file.role, kind: 'corrupt', detail});
    }
  }
  return {fingerprint: record.fingerprint, ok: problems.length === 0, problems};
}

/** Read one stored file to its end as an archive; returns what is wrong, or undefined. */
async function deepCheck(store: Store, record: ImageRecord, file: StoredFile): Promise<string | undefined> {
  const path = store.filePath(record.fingerprint, file.role);
  if (file.kind === 'squashfs') {
    try {
      // Listing reads the superblock, inode and directory tables of the whole filesystem.
      await run('unsquashfs', ['-no-progress', '-lls', '-n', path]);
      return undefined;
    } catch (err) {
      return isUserError(err) ? err.message : String(err);
    }
  }
  if (file.kind === 'qcow2') return undefined;
  try {
    const extract = tar.extract();
    const drain = (async () => {
      for await (const entry of extract) entry.resume();
    })();
    // pipeline tears every stage down when one fails, so a bad archive cannot leave a reader waiting.
    await Promise.all([
      pipeline(createReadStream(path, {highWaterMark: CHUNK_SIZE}), await createDecompressor(file.compression), extract as unknown as NodeJS.WritableStream),
      drain,
    ]);
    return undefined;
  } catch (err) {
    return `${file.compression === 'none' ? 'tar' : file.compression}: ${(err as Error).message}`;
  }
}
