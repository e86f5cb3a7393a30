import {checkTarball} from '../archive/check.js';
import {checkSquashfs} from '../archive/squashfs.js';
import {expectedFileSha256, FingerprintHasher} from '../image/fingerprint.js';
import type {ImageFile, ImageRecord} from '../image/types.js';
import {hashChunks} from '../io/hash-file.js';
import type {Store} from './store.js';

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
  const hasher = new FingerprintHasher();
  // One slot per file, so that problems are reported in the record's file order.
  const slots: Array<{file: ImageFile; size?: number}> = [];
  for (const file of record.files) {
    // Every file takes its place in the fingerprint's order, even a missing one (then no fingerprint is compared).
    const hash = hasher.file(file.role, {own: true});
    const size = await store.storedSize(record.fingerprint, file.role);
    if (size !== undefined) await hashChunks(store.readChunks(record.fingerprint, file.role), [hash], opts.onProgress);
    slots.push(size === undefined ? {file} : {file, size});
  }
  const {fingerprint, sha256} = hasher.finish();
  const problems: VerifyProblem[] = [];
  for (const {file, size} of slots) {
    if (size === undefined) {
      problems.push({file: file.role, kind: 'missing'});
      continue;
    }
    const got = sha256[file.role];
    const expected = expectedFileSha256(record, file);
    if (got && expected && got !== expected) problems.push({file: file.role, kind: 'mismatch', expected, got});
    else if (size !== file.size) problems.push({file: file.role, kind: 'mismatch', expected: `${file.size} bytes`, got: `${size} bytes`});
  }
  if (problems.length === 0 && fingerprint !== record.fingerprint) {
    // Only a file whose own digest is not recorded (a split rootfs) can explain this.
    const suspect = record.files.find((f) => !f.sha256) ?? record.files[record.files.length - 1]!;
    problems.push({file: suspect.role, kind: 'mismatch', expected: record.fingerprint, got: fingerprint});
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
async function deepCheck(store: Store, record: ImageRecord, file: ImageFile): Promise<string | undefined> {
  const path = store.filePath(record.fingerprint, file.role);
  try {
    // unsquashfs takes a path: the local fast path.
    if (file.kind === 'squashfs') await checkSquashfs(path);
    else if (file.kind === 'tar') await checkTarball(store.readStream(record.fingerprint, file.role), file.compression);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
