import {createHash, type Hash} from 'node:crypto';
import {NotFoundError} from '../errors.js';
import type {FileRole, ImageFile, ImageView} from '../image/types.js';
import {hashChunks} from '../io/hash-file.js';
import type {Store} from './store.js';

const DIGESTS = ['sha256', 'sha1', 'md5'] as const;
type DigestName = (typeof DIGESTS)[number];

/** The digests a file already has (they win over freshly computed ones: they were there first). */
const known = (f: ImageFile): Partial<Record<DigestName, string>> => Object.fromEntries(DIGESTS.filter((d) => f[d]).map((d) => [d, f[d]]));

/**
 * Make sure each file's sha256, sha1 and md5 are in the record: import computes only the
 * fingerprint (one digest pass); the others are computed here, on first use (IMGAPI needs sha1,
 * `info --digests` shows all), in one read of each file, and kept.
 */
export async function ensureDigests(store: Store, fingerprint: string, onProgress?: (bytes: number) => void): Promise<ImageView> {
  const record = await store.readRecord(fingerprint);
  if (!record) throw new NotFoundError(`Image "${fingerprint}" not found`);
  const computed = new Map<FileRole, Partial<Record<DigestName, string>>>();
  for (const file of record.files) {
    const missing = DIGESTS.filter((d) => !file[d]);
    if (missing.length === 0) continue;
    const hashes = missing.map((d): [DigestName, Hash] => [d, createHash(d)]);
    await hashChunks(
      store.readChunks(fingerprint, file.role),
      hashes.map(([, h]) => h),
      onProgress,
    );
    computed.set(file.role, Object.fromEntries(hashes.map(([d, h]) => [d, h.digest('hex')])));
  }
  if (computed.size === 0) return (await store.aliases()).view(record);
  return store.updateRecord(fingerprint, (r) => {
    for (const f of r.files) Object.assign(f, {...computed.get(f.role), ...known(f)});
    return r;
  });
}
