import {link, lstat, mkdir, open, readdir, readFile, rename, rm, stat, unlink, writeFile} from 'node:fs/promises';
import {createHash, randomBytes} from 'node:crypto';
import {join} from 'node:path';
import {InvalidImageError, NotFoundError, UsageError, UserError, userFsError} from '../errors.js';
import {metadataRecordFields} from '../image/metadata.js';
import {fileRoles, readImage, type FileRole, type ImageSource, type ReadImageResult} from '../image/read-image.js';
import {syncDir, writeFileAtomic} from '../io/atomic.js';
import {fileChunks} from '../io/chunks.js';
import {GO_ZERO_TIME, nowRfc3339} from '../time.js';
import {checkAliasName} from './alias-name.js';
import {FileLock, ProcessMutex} from './lock.js';
import {storePaths, type StorePaths} from './paths.js';
import type {AliasEntry, ImageRecord, ImageView, StoredFile} from './record.js';
import {cleanTmp, WorkDir} from './workdir.js';

const FINGERPRINT = /^[0-9a-f]{64}$/;
const RECORD = 'image.json';
const mutex = new ProcessMutex();

export interface StoreOptions {
  home?: string;
  /** Called when another img process holds the store lock and this one starts waiting. */
  onLockWait?: () => void;
}

export interface ImportOptions {
  aliases?: string[];
  public?: boolean;
  /** Record properties set on top of metadata.yaml's (the file, and so the fingerprint, is unchanged). */
  properties?: Record<string, string>;
  onProgress?: (done: number, total: number | undefined) => void;
  signal?: AbortSignal;
  /**
   * Move the input files into the store instead of copying them: they are hard-linked in (no
   * data is written when they are on the store's filesystem), and their original names are
   * removed once the image is committed. An input elsewhere is copied, then removed.
   */
  move?: boolean;
  /** Told about things that did not stop the import (an original that could not be removed). */
  onWarning?: (message: string) => void;
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

export interface AddOptions {
  aliases?: string[];
  /** Point aliases that already name another image at this one (publish), instead of refusing (import). */
  repointAliases?: boolean;
  /** When the image is already stored: refuse (import) or keep the stored one (publish). */
  ifExists: 'error' | 'keep';
}

/**
 * The local image store under $IMG_HOME: images/<fp>/ holds image.json and the image files
 * (`unified`, or `metadata` + `rootfs`), aliases.json maps alias names to fingerprints. Every
 * change is built in tmp/ and renamed into place under the store lock, so readers never see half
 * an image, and a process killed at any point leaves the store as it was.
 */
export class Store {
  readonly paths: StorePaths;
  private readonly onLockWait: (() => void) | undefined;

  constructor(opts: StoreOptions = {}) {
    this.paths = storePaths(opts.home);
    this.onLockWait = opts.onLockWait;
  }

  // ---------------------------------------------------------------- locking and work directories

  /** Run `fn` holding the store lock (after clearing dead processes' leftovers). */
  async locked<T>(fn: () => Promise<T>): Promise<T> {
    await this.ensureDirs();
    return mutex.run(async () => {
      const lock = await FileLock.acquire(this.paths.lock, this.onLockWait);
      try {
        await cleanTmp(this.paths.tmp);
        return await fn();
      } finally {
        await lock.release();
      }
    });
  }

  async createWork(kind: string): Promise<WorkDir> {
    return this.locked(() => WorkDir.create(this.paths.tmp, kind));
  }

  private async ensureDirs(): Promise<void> {
    await mkdir(this.paths.images, {recursive: true});
    await mkdir(this.paths.tmp, {recursive: true});
  }

  // ---------------------------------------------------------------- reading

  imageDir(fingerprint: string): string {
    return join(this.paths.images, fingerprint);
  }

  /** Path of one of an image's files in the store. */
  filePath(fingerprint: string, role: FileRole): string {
    return join(this.imageDir(fingerprint), role);
  }

  async fingerprints(): Promise<string[]> {
    try {
      return (await readdir(this.paths.images)).filter((n) => FINGERPRINT.test(n)).sort();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
  }

  async readRecord(fingerprint: string): Promise<ImageRecord | undefined> {
    let text: string;
    try {
      text = await readFile(join(this.imageDir(fingerprint), RECORD), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return JSON.parse(text) as ImageRecord;
    } catch {
      throw new UserError(`the store's record of image ${fingerprint} is damaged (${join(this.imageDir(fingerprint), RECORD)})`, {code: 'StoreDamaged'});
    }
  }

  async readAliases(): Promise<Map<string, AliasEntry>> {
    let text: string;
    try {
      text = await readFile(this.paths.aliases, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new Map();
      throw err;
    }
    let doc: {aliases?: Record<string, {target: string; description?: string}>};
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch {
      throw new UserError(`the store's alias table is damaged (${this.paths.aliases})`, {code: 'StoreDamaged'});
    }
    const map = new Map<string, AliasEntry>();
    for (const [name, a] of Object.entries(doc.aliases ?? {})) map.set(name, {name, target: a.target, description: a.description ?? ''});
    return map;
  }

  private async writeAliases(aliases: Map<string, AliasEntry>): Promise<void> {
    const sorted = [...aliases.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
    const doc = {aliases: Object.fromEntries(sorted.map((a) => [a.name, {target: a.target, description: a.description}]))};
    await writeFileAtomic(this.paths.aliases, JSON.stringify(doc, null, 2) + '\n');
  }

  private withAliases(record: ImageRecord, aliases: Map<string, AliasEntry>): ImageView {
    const mine = [...aliases.values()]
      .filter((a) => a.target === record.fingerprint)
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((a) => ({name: a.name, description: a.description}));
    return {...record, aliases: mine};
  }

  /** Every image with its aliases, by fingerprint. */
  async list(): Promise<ImageView[]> {
    const [fps, aliases] = await Promise.all([this.fingerprints(), this.readAliases()]);
    const records = await Promise.all(fps.map((fp) => this.readRecord(fp)));
    return records.filter((r): r is ImageRecord => r !== undefined).map((r) => this.withAliases(r, aliases));
  }

  async view(fingerprint: string): Promise<ImageView | undefined> {
    const record = await this.readRecord(fingerprint);
    return record && this.withAliases(record, await this.readAliases());
  }

  /**
   * Find an image by alias, else by fingerprint or unique fingerprint prefix, as `lxc image info`
   * resolves its argument.
   */
  async resolve(ref: string): Promise<ImageView> {
    const aliases = await this.readAliases();
    const alias = aliases.get(ref);
    if (alias) {
      const record = await this.readRecord(alias.target);
      if (record) return this.withAliases(record, aliases);
    }
    const prefix = ref.toLowerCase();
    if (/^[0-9a-f]+$/.test(prefix)) {
      const matches = (await this.fingerprints()).filter((fp) => fp.startsWith(prefix));
      if (matches.length > 1) {
        throw new UserError(`Image fingerprint prefix "${ref}" is ambiguous: it matches ${matches.length} images`, {code: 'AmbiguousPrefix'});
      }
      if (matches.length === 1) {
        const record = await this.readRecord(matches[0]!);
        if (record) return this.withAliases(record, aliases);
      }
    }
    throw new NotFoundError(`Image "${ref}" not found`);
  }

  // ---------------------------------------------------------------- adding images

  /**
   * Import a unified image or a split one (metadata + root) from files or a stream. The input is
   * read once: hashed, copied into a work directory and scanned as LXD scans it; then the image
   * is renamed into the store.
   */
  async importImage(sources: ImageSource[], opts: ImportOptions = {}): Promise<ImageView> {
    const aliases = opts.aliases ?? [];
    // As lxc image import: an alias that names another image is moved to this one.
    await this.checkAliasesFree(aliases, true);
    const work = await this.createWork('import');
    try {
      const roles = fileRoles(sources.length);
      const linked = opts.move ? await linkSources(sources, roles, work.path) : new Set<FileRole>();
      const readOpts: Parameters<typeof readImage>[1] = {scan: true};
      // Linked files are already in place: they are only read (and hashed), not copied.
      if (linked.size < sources.length) readOpts.copyTo = (role) => (linked.has(role) ? undefined : join(work.path, role));
      if (opts.onProgress) readOpts.onProgress = opts.onProgress;
      if (opts.signal) readOpts.signal = opts.signal;
      const read = await readImage(sources, readOpts);
      const record = recordFromRead(read, {public: opts.public ?? false, properties: opts.properties ?? {}});
      const {view} = await this.addImage(work, record, {aliases, repointAliases: true, ifExists: 'error'});
      if (opts.move) {
        // Only once the image is safely in the store does the original name go.
        for (const s of sources) {
          if ('path' in s) await unlink(s.path).catch((err: NodeJS.ErrnoException) => opts.onWarning?.(`could not remove ${s.path} after moving it into the store: ${err.code ?? err.message}`));
        }
      }
      return view;
    } finally {
      await work.dispose();
    }
  }

  /**
   * Move a finished image (its files already in `work`, named by role) into the store and create
   * its aliases, all under the store lock.
   */
  async addImage(work: WorkDir, record: ImageRecord, opts: AddOptions): Promise<{view: ImageView; existed: boolean}> {
    const aliasNames = opts.aliases ?? [];
    return this.locked(async () => {
      const dir = this.imageDir(record.fingerprint);
      const existing = await this.readRecord(record.fingerprint);
      if (existing && opts.ifExists === 'error') {
        throw new UserError(`Image with same fingerprint already exists: ${record.fingerprint}`, {code: 'ImageExists'});
      }
      const aliases = await this.readAliases();
      for (const name of aliasNames) {
        const taken = aliases.get(name);
        if (taken && taken.target !== record.fingerprint && !opts.repointAliases && (await this.readRecord(taken.target))) {
          throw new UserError(`Alias already exists: ${name}`, {code: 'AliasExists'});
        }
      }
      if (!existing) {
        await writeFile(join(work.path, RECORD), JSON.stringify(record, null, 2) + '\n');
        await rename(work.path, dir);
        await syncDir(this.paths.images);
      }
      if (aliasNames.length > 0) {
        for (const name of aliasNames) aliases.set(name, {name, target: record.fingerprint, description: aliases.get(name)?.description ?? ''});
        await this.writeAliases(aliases);
      }
      const stored = existing ?? record;
      return {view: this.withAliases(stored, aliases), existed: existing !== undefined};
    });
  }

  private async checkAliasesFree(names: string[], repoint: boolean): Promise<void> {
    for (const n of names) checkAliasName(n);
    if (new Set(names).size !== names.length) throw new UserError('the same alias is given twice', {code: 'AliasExists'});
    if (repoint) return;
    const aliases = await this.readAliases();
    for (const n of names) {
      const a = aliases.get(n);
      if (a && (await this.readRecord(a.target))) throw new UserError(`Alias already exists: ${n}`, {code: 'AliasExists'});
    }
  }

  // ---------------------------------------------------------------- changing images

  /** Change an image's record under the lock; `change` gets a copy and returns the new record. */
  async updateRecord(fingerprint: string, change: (record: ImageRecord) => ImageRecord): Promise<ImageView> {
    return this.locked(async () => {
      const record = await this.readRecord(fingerprint);
      if (!record) throw new NotFoundError(`Image "${fingerprint}" not found`);
      const next = change(structuredClone(record));
      if (next.fingerprint !== record.fingerprint) throw new Error('a record update may not change the fingerprint');
      await writeFileAtomic(join(this.imageDir(fingerprint), RECORD), JSON.stringify(next, null, 2) + '\n');
      return this.withAliases(next, await this.readAliases());
    });
  }

  /** Remove an image and its aliases. */
  async deleteImage(fingerprint: string): Promise<void> {
    await this.locked(async () => {
      const dir = this.imageDir(fingerprint);
      if (!(await this.readRecord(fingerprint))) throw new NotFoundError(`Image "${fingerprint}" not found`);
      // Renamed out of images/ first, so that it disappears at once and whole.
      const trash = join(this.paths.tmp, `deleted-${fingerprint}-${randomBytes(6).toString('hex')}`);
      await rename(dir, trash);
      const aliases = await this.readAliases();
      let changed = false;
      for (const [name, a] of aliases) {
        if (a.target === fingerprint) {
          aliases.delete(name);
          changed = true;
        }
      }
      if (changed) await this.writeAliases(aliases);
      await rm(trash, {recursive: true, force: true});
    });
  }

  // ---------------------------------------------------------------- aliases

  async createAlias(name: string, targetRef: string, description = ''): Promise<AliasEntry> {
    checkAliasName(name);
    return this.locked(async () => {
      const aliases = await this.readAliases();
      const taken = aliases.get(name);
      if (taken && (await this.readRecord(taken.target))) throw new UserError(`Alias already exists: ${name}`, {code: 'AliasExists'});
      const target = await this.resolveFingerprint(targetRef);
      const entry = {name, target, description};
      aliases.set(name, entry);
      await this.writeAliases(aliases);
      return entry;
    });
  }

  async deleteAlias(name: string): Promise<void> {
    await this.locked(async () => {
      const aliases = await this.readAliases();
      const a = aliases.get(name);
      if (!a || !(await this.readRecord(a.target))) throw new NotFoundError(`Image alias "${name}" not found`, 'AliasNotFound');
      aliases.delete(name);
      await this.writeAliases(aliases);
    });
  }

  async renameAlias(from: string, to: string): Promise<void> {
    checkAliasName(to);
    await this.locked(async () => {
      const aliases = await this.readAliases();
      const a = aliases.get(from);
      if (!a || !(await this.readRecord(a.target))) throw new NotFoundError(`Image alias "${from}" not found`, 'AliasNotFound');
      const taken = aliases.get(to);
      if (taken && (await this.readRecord(taken.target))) throw new UserError(`Alias already exists: ${to}`, {code: 'AliasExists'});
      aliases.delete(from);
      aliases.set(to, {...a, name: to});
      await this.writeAliases(aliases);
    });
  }

  /** Aliases that point at stored images, sorted by name. */
  async listAliases(): Promise<Array<AliasEntry & {type: string}>> {
    const aliases = await this.readAliases();
    const out: Array<AliasEntry & {type: string}> = [];
    for (const a of [...aliases.values()].sort((x, y) => (x.name < y.name ? -1 : 1))) {
      const record = await this.readRecord(a.target);
      if (record) out.push({...a, type: record.type});
    }
    return out;
  }

  /** An alias creation target: a full fingerprint or a unique prefix (not an alias, as in LXD). */
  private async resolveFingerprint(ref: string): Promise<string> {
    const prefix = ref.toLowerCase();
    if (/^[0-9a-f]+$/.test(prefix)) {
      const matches = (await this.fingerprints()).filter((fp) => fp.startsWith(prefix));
      if (matches.length > 1) throw new UserError(`Image fingerprint prefix "${ref}" is ambiguous: it matches ${matches.length} images`, {code: 'AmbiguousPrefix'});
      if (matches.length === 1) return matches[0]!;
    }
    throw new NotFoundError(`Image "${ref}" not found`);
  }

  // ---------------------------------------------------------------- files

  /** The size of a stored file as it is on disk now (verify compares it with the record). */
  async storedSize(fingerprint: string, role: FileRole): Promise<number | undefined> {
    try {
      return (await stat(this.filePath(fingerprint, role))).size;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  /**
   * Make sure each file's sha256, sha1 and md5 are in the record: import computes only the
   * fingerprint (one digest pass); the others are computed here, on first use (IMGAPI needs sha1,
   * `info --digests` shows all), in one read of each file, and kept.
   */
  async ensureDigests(fingerprint: string, onProgress?: (bytes: number) => void): Promise<ImageView> {
    const record = await this.readRecord(fingerprint);
    if (!record) throw new NotFoundError(`Image "${fingerprint}" not found`);
    const computed = new Map<FileRole, Partial<Record<DigestName, string>>>();
    for (const file of record.files) {
      const missing = DIGESTS.filter((d) => !file[d]);
      if (missing.length === 0) continue;
      const hashes = missing.map((d) => [d, createHash(d)] as const);
      const handle = await this.openFile(fingerprint, file.role);
      try {
        for await (const chunk of fileChunks(handle)) {
          for (const [, h] of hashes) h.update(chunk);
          onProgress?.(chunk.length);
        }
      } finally {
        await handle.close();
      }
      computed.set(file.role, Object.fromEntries(hashes.map(([d, h]) => [d, h.digest('hex')])));
    }
    if (computed.size === 0) return this.withAliases(record, await this.readAliases());
    return this.updateRecord(fingerprint, (r) => {
      for (const f of r.files) Object.assign(f, {...computed.get(f.role), ...pick(f)});
      return r;
    });
  }

  /** Open a stored file for reading. */
  async openFile(fingerprint: string, role: FileRole) {
    return open(this.filePath(fingerprint, role), 'r');
  }
}

const DIGESTS = ['sha256', 'sha1', 'md5'] as const;
type DigestName = (typeof DIGESTS)[number];
/** The digests a file already has (they win over freshly computed ones: they were there first). */
const pick = (f: StoredFile): Partial<Record<DigestName, string>> => Object.fromEntries(DIGESTS.filter((d) => f[d]).map((d) => [d, f[d]]));

/** What a record is made from: an image read from files, or one img built. */
export type ImageFacts = Pick<ReadImageResult, 'fingerprint' | 'type' | 'metadata' | 'size'> & {
  files: Array<Pick<ReadImageResult['files'][number], 'role' | 'size' | 'format' | 'sha256'> & {sourceName?: string}>;
};

/** The record LXD would create for an image it imported from files. */
export function recordFromRead(read: ImageFacts, opts: {public: boolean; properties: Record<string, string>; filename?: string}): ImageRecord {
  if (!read.metadata || !read.type) throw new InvalidImageError('the image was not scanned', 'NotScanned');
  const fields = metadataRecordFields(read.metadata);
  const files: StoredFile[] = read.files.map((f) => {
    const file: StoredFile = {role: f.role, size: f.size, kind: f.format.kind, compression: f.format.compression, extension: f.format.extension};
    if (f.sha256) file.sha256 = f.sha256;
    return file;
  });
  // LXD records the uploaded file's name: the tarball for unified images, the root file for split.
  const named = read.files.find((f) => f.role !== 'metadata');
  return {
    fingerprint: read.fingerprint,
    type: read.type,
    architecture: fields.architecture,
    size: read.size,
    filename: opts.filename ?? (named?.sourceName && named.sourceName !== '-' ? named.sourceName : ''),
    properties: {...fields.properties, ...opts.properties},
    public: opts.public,
    cached: false,
    auto_update: false,
    profiles: ['default'],
    created_at: fields.created_at,
    uploaded_at: nowRfc3339(),
    last_used_at: GO_ZERO_TIME,
    expires_at: fields.expires_at,
    update_source: null,
    files,
  };
}
