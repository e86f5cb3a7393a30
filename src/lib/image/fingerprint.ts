/**
 * LXD's fingerprint rule, in one place: an image's fingerprint is the sha256 of its unified file,
 * or of its metadata file followed by its root file. A unified file's own sha256 is therefore the
 * fingerprint itself; a split image's files each have their own.
 */
import {createHash, type Hash} from 'node:crypto';
import type {Updatable} from '../io/hash-file.js';
import type {FileRole} from './types.js';

export const FINGERPRINT = /^[0-9a-f]{64}$/;

/** What each given file is: one file is a unified image, two are metadata then root. */
export function fileRoles(count: number): FileRole[] {
  return count === 1 ? ['unified'] : ['metadata', 'rootfs'];
}

/** The sha256 a file must have by itself, when it is known: its own, or for a unified file the fingerprint. */
export function expectedFileSha256(image: {fingerprint: string}, file: {role: FileRole; sha256?: string}): string | undefined {
  return file.sha256 ?? (file.role === 'unified' ? image.fingerprint : undefined);
}

/** One file's bytes on their way into the fingerprint. */
export interface FileHash extends Updatable {
  /** This file's own sha256, once all its bytes are in; undefined for a unified file (its own is the fingerprint) or when not asked for. */
  digest(): string | undefined;
}

/**
 * Hashes an image's files as they stream past, once: the fingerprint over all of them in LXD's
 * order and, where asked, each file's own sha256 (the metadata file is small; a split root file's
 * own digest costs a second sha256 of the large file, so it is computed only when someone needs it).
 */
export class FingerprintHasher {
  private readonly whole = createHash('sha256');
  private readonly files: Array<{role: FileRole; hash: FileHash}> = [];

  /** Start the next file; its bytes go to the returned hash. Files must come in fileRoles' order. */
  file(role: FileRole, opts: {own?: boolean} = {}): FileHash {
    const next = [...this.files.map((f) => f.role), role];
    const order = fileRoles(next[0] === 'unified' ? 1 : 2);
    if (next.some((r, i) => order[i] !== r)) throw new Error(`fingerprint: ${role} cannot follow [${next.slice(0, -1).join(', ')}]`);
    const whole = this.whole;
    const own: Hash | undefined = opts.own && role !== 'unified' ? createHash('sha256') : undefined;
    let hex: string | undefined;
    const hash: FileHash = {
      update(chunk: Uint8Array) {
        whole.update(chunk);
        own?.update(chunk);
      },
      digest() {
        hex ??= own?.digest('hex');
        return hex;
      },
    };
    this.files.push({role, hash});
    return hash;
  }

  /** The fingerprint and the own sha256 of each file that has one (a unified file's is the fingerprint). */
  finish(): {fingerprint: string; sha256: Partial<Record<FileRole, string>>} {
    const fingerprint = this.whole.digest('hex');
    const sha256: Partial<Record<FileRole, string>> = {};
    for (const {role, hash} of this.files) {
      const own = role === 'unified' ? fingerprint : hash.digest();
      if (own) sha256[role] = own;
    }
    return {fingerprint, sha256};
  }
}
