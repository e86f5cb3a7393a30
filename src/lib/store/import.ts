import {link, lstat, unlink} from 'node:fs/promises';
import {join} from 'node:path';
import {UsageError, userFsError} from '../errors.js';
import {fileRoles} from '../image/fingerprint.js';
import {readImage, type ReadImageOptions} from '../image/read-image.js';
import type {FileRole, ImageRecord, ImageSource, ImageView} from '../image/types.js';
import {warnOrFail, type WarnOptions} from '../warn.js';
import {checkNewAliases} from './alias-table.js';
import {newRecord} from './record.js';
import {imageExists, type Store} from './store.js';

export interface ImportOptions extends WarnOptions {
  aliases?: string[];
  public?: boolean;
  /** Record properties set on top of metadata.yaml's (the file, and so the fingerprint, is unchanged). */
  properties?: Record<string, string>;
  /** The fingerprint the source declared (a download): anything else is refused, and a stored one is found before any copy. */
  fingerprint?: string;
  onProgress?: (done: number, total: number | undefined) => void;
  signal?: AbortSignal;
  /**
   * Move the input files into the store instead of copying them: they are hard-linked in (no
   * data is written when they are on the store's filesystem), and their original names are
   * removed once the image is committed. An input elsewhere is copied, then removed.
   */
  move?: boolean;
  /**
   * Fields of the new record that come from where the image was found rather than from its
   * metadata.yaml: a copy from a remote takes the remote's properties, dates and source, as LXD does.
   */
  record?: Partial<Pick<ImageRecord, RemoteFields>>;
}

type RemoteFields =
  | 'architecture'
  | 'properties'
  | 'created_at'
  | 'expires_at'
  | 'filename'
  | 'update_source'
  | 'update_check'
  | 'auto_update'
  | 'cached'
  | 'last_used_at'
  | 'profiles';

/**
 * Import a unified image or a split one (metadata + root) from files or streams. The input is
 * read once: hashed, copied into a work directory, checked against what its source declared and
 * scanned as LXD scans it; then the image is renamed into the store. A failure at any point leaves
 * the store as it was.
 */
export async function importImage(store: Store, sources: ImageSource[], opts: ImportOptions = {}): Promise<ImageView> {
  const aliases = opts.aliases ?? [];
  checkNewAliases(aliases);
  if (opts.fingerprint && (await store.exists(opts.fingerprint.toLowerCase()))) throw imageExists(opts.fingerprint.toLowerCase());
  const work = await store.createWork('import');
  try {
    const roles = fileRoles(sources.length);
    const linked = opts.move ? await linkSources(sources, roles, work.path) : new Set<FileRole>();
    const readOpts: ReadImageOptions = {scan: true};
    // Linked files are already in place: they are only read (and hashed), not copied.
    if (linked.size < sources.length) readOpts.copyTo = (role) => (linked.has(role) ? undefined : join(work.path, role));
    if (opts.fingerprint) readOpts.fingerprint = opts.fingerprint;
    if (opts.onProgress) readOpts.onProgress = opts.onProgress;
    if (opts.signal) readOpts.signal = opts.signal;
    const read = await readImage(sources, readOpts);
    if (!read.metadata || !read.type) throw new Error('readImage did not scan the image');
    const record = {
      ...newRecord({...read, metadata: read.metadata, type: read.type}, {public: opts.public ?? false, properties: opts.properties ?? {}}),
      ...opts.record,
    };
    const {view} = await store.commit(work, record, {aliases, ifExists: 'error'});
    if (opts.move) {
      // Only once the image is safely in the store does the original name go.
      for (const s of sources) {
        if (!('path' in s)) continue;
        await unlink(s.path).catch((err: NodeJS.ErrnoException) =>
          warnOrFail({onWarning: opts.onWarning}, 'CleanupFailed', `could not remove ${s.path} after moving it into the store: ${err.code ?? err.message}`, {
            path: s.path,
          }),
        );
      }
    }
    return view;
  } finally {
    await work.dispose();
  }
}

/**
 * Hard-link each source file into the work directory under its role name, where the filesystem
 * allows (same filesystem, regular file). Returns the roles that were linked; the others are
 * copied as usual.
 */
async function linkSources(sources: ImageSource[], roles: FileRole[], dir: string): Promise<Set<FileRole>> {
  const linked = new Set<FileRole>();
  for (const [i, s] of sources.entries()) {
    if (!('path' in s)) throw new UsageError('--move needs files, not stdin');
    const st = await lstat(s.path).catch((err: unknown) => userFsError(err, s.path));
    if (!st.isFile()) throw new UsageError(`--move needs regular files: ${s.path} is not one`);
    try {
      await link(s.path, join(dir, roles[i]!));
      linked.add(roles[i]!);
    } catch (err) {
      // Another filesystem (EXDEV) or a protected link (EPERM): copy instead.
      if (!['EXDEV', 'EPERM', 'EACCES', 'EMLINK'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
    }
  }
  return linked;
}
