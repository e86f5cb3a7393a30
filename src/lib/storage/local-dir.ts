/**
 * LocalDirBlobStore: a BlobStore over a directory, one file per object at its key's path under
 * the root. A put writes a temporary beside the final name and renames it into place, so a
 * reader, a crash or a kill -9 sees the old file or the whole new one, never a part.
 *
 * Symbolic links: the store never follows one inside its root (the root itself may be one). img
 * creates none there, so a link found on a key's path was put there by someone else, and
 * following it could read or write outside the root. Naming a key whose path passes through or
 * ends at a link is refused (PermissionDenied); `list` leaves links out. This guards against
 * links left in the tree, not against someone racing the store with write access to the root,
 * who can change its objects anyway.
 *
 * Over 250 lines on purpose: every operation walks a key's path without following a link and
 * copes with a concurrent delete pruning the directories it walks; split up, those rules would be
 * passed between files that only make sense together.
 */
import {createHash} from 'node:crypto';
import {constants, createReadStream, type Dirent, linkSync, lstatSync, mkdirSync, realpathSync, renameSync, statSync, type Stats, unlinkSync} from 'node:fs';
import {type FileHandle, lstat, mkdir, open, readdir, realpath, rename, rmdir, stat, unlink} from 'node:fs/promises';
import {dirname, join, resolve, sep} from 'node:path';
import type {Readable} from 'node:stream';
import {execFile} from 'node:child_process';
import {promisify} from 'node:util';
import {hashMismatch, sizeMismatch, UserError, userFsError} from '../errors.js';
import {syncDir, tempNameBeside} from '../io/atomic.js';
import {ChunkWriter} from '../io/chunk-writer.js';
import {CHUNK_SIZE} from '../io/chunks.js';
import {
  blobKeySegments,
  blobNotFound,
  blobPrefixParts,
  type BlobData,
  type BlobInfo,
  type BlobStore,
  byteSpan,
  type ByteRange,
  dataChunks,
  emptyStream,
  isKeySegment,
  type PutOptions,
  type PutResult,
  sortByKey,
} from './blob-store.js';

/**
 * O_NOFOLLOW refuses a link as the last component without a separate lstat that could race the
 * open; O_NONBLOCK keeps a FIFO left under a key from blocking the open (no effect on files).
 */
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

interface TempFile {
  readonly handle: FileHandle;
  readonly tmp: string;
  /** The object's file, which the temporary replaces. */
  readonly path: string;
  readonly dir: string;
}

/** A put races a delete that prunes the emptied directory it is about to write in; retry that. */
const PUT_ATTEMPTS = 3;

export class LocalDirBlobStore implements BlobStore {
  readonly root: string;
  /** The root with its own links resolved, once it is known to exist. */
  private realRoot: string | undefined;
  /** putFile has linked files whose directory entries are not yet known to be on disk. */
  private unsynced = false;
  /**
   * Directories putFile made or checked in this run: a tree of 10,000 versions puts two files in
   * each, and the second need not walk the path again. Only putFile trusts it (see the header:
   * links are refused as left in the tree, not raced).
   */
  private readonly checkedDirs = new Set<string>();

  constructor(root: string) {
    // Resolved now, so a later chdir does not move the store.
    this.root = resolve(root);
  }

  /**
   * The file that holds `key`, for callers that can do better with a path than a stream (a hard
   * link into a served tree, sendfile). Not part of BlobStore: other backends have no such path,
   * so a caller must keep a stream fallback. The key is checked but the file is not: it may not
   * exist, and the path is not checked for links, so open it with O_NOFOLLOW or trust the tree.
   */
  localPath(key: string): string {
    return join(this.root, ...blobKeySegments(key));
  }

  async put(key: string, data: BlobData, opts: PutOptions = {}): Promise<PutResult> {
    const segments = blobKeySegments(key);
    const name = segments.pop()!;
    const chunks = dataChunks(data);
    for (let attempt = 1; ; attempt++) {
      let file: TempFile;
      try {
        file = await this.tempFor(key, segments, name);
      } catch (err) {
        // A delete pruning the emptied directory (or someone removing the root) can take it away
        // between making it and creating the temporary in it: make it again.
        if (errno(err) === 'ENOENT' && attempt < PUT_ATTEMPTS) {
          this.realRoot = undefined;
          continue;
        }
        throw err;
      }
      return this.write(key, chunks, opts, file);
    }
  }

  /** A new temporary beside the file of `key`, its directories made. */
  private async tempFor(key: string, segments: readonly string[], name: string): Promise<TempFile> {
    const dir = (await this.dirOf(key, segments, true))!;
    const path = join(dir, name);
    const existing = await entryAt(path);
    if (existing?.isSymbolicLink()) throw symlinkRefused(key, path);
    if (existing?.isDirectory()) throw keyConflict(key, key);
    const tmp = tempNameBeside(path);
    // 'wx': never open someone else's temporary, nor a link planted under the name.
    const handle = await disk(open(tmp, 'wx', 0o644), path).catch((err: unknown) => {
      throw errno(err) === 'ENAMETOOLONG' ? tooLong(key) : err;
    });
    return {handle, tmp, path, dir};
  }

  private async write(key: string, chunks: AsyncIterable<Uint8Array>, opts: PutOptions, file: TempFile): Promise<PutResult> {
    const {handle, tmp, path, dir} = file;
    const writer = new ChunkWriter(handle);
    const hash = createHash('sha256');
    let size = 0;
    let closed = false;
    let result: PutResult;
    try {
      for await (const chunk of chunks) {
        size += chunk.length;
        // Stop at the first byte too many: a source that lies about its size must not fill the disk.
        if (opts.size !== undefined && size > opts.size) throw sizeMismatch(key, opts.size, `at least ${size}`);
        hash.update(chunk);
        await disk(writer.write(chunk as Buffer), path);
      }
      await disk(writer.flush(), path);
      if (opts.size !== undefined && size !== opts.size) throw sizeMismatch(key, opts.size, size);
      const sha256 = hash.digest('hex');
      if (opts.sha256 !== undefined && opts.sha256.toLowerCase() !== sha256) throw hashMismatch(key, opts.sha256, sha256);
      // On disk before the name points at it, or a crash could leave a short file under the key.
      await disk(handle.datasync(), path);
      const {mtime} = await disk(handle.stat(), path);
      closed = true;
      await disk(handle.close(), path);
      await disk(rename(tmp, path), path);
      result = {key, size, sha256, mtime};
    } catch (err) {
      await writer.settle();
      if (!closed) await handle.close().catch(() => undefined);
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    // A delete of this very key may have emptied and pruned the directory since the rename.
    await syncDir(dir).catch((err: unknown) => {
      if (errno(err) !== 'ENOENT') throw err;
    });
    return result;
  }

  /**
   * A hard link to the file, renamed into place: no byte copied, none re-hashed (a simplestreams
   * export of 10,000 store images took 31 s copying and fsyncing each file). Another filesystem,
   * or a filesystem without links, gets the checked copy of put.
   */
  async putFile(key: string, path: string, opts: PutOptions = {}): Promise<BlobInfo> {
    const segments = blobKeySegments(key);
    const name = segments.pop()!;
    const dir = (await this.dirOf(key, segments, true, false))!;
    const final = join(dir, name);
    // Synchronous calls, as in dirOf: a tree export links thousands of files in a row.
    const linked = this.linkNew(key, path, final, opts);
    if (linked !== undefined) return linked;
    const existing = entryAtSync(final);
    if (existing?.isSymbolicLink()) throw symlinkRefused(key, final);
    if (existing?.isDirectory()) throw keyConflict(key, key);
    const tmp = tempNameBeside(final);
    try {
      linkSync(path, tmp);
    } catch (err) {
      if (['EXDEV', 'EPERM', 'EMLINK', 'ENOTSUP', 'EOPNOTSUPP'].includes(errno(err) ?? ''))
        return this.put(key, createReadStream(path, {highWaterMark: CHUNK_SIZE}), opts);
      return onDisk(err, path);
    }
    try {
      const st = statSync(tmp);
      if (opts.size !== undefined && st.size !== opts.size) throw sizeMismatch(key, opts.size, st.size);
      try {
        renameSync(tmp, final);
      } catch (err) {
        onDisk(err, final);
      }
      // rename(2) between two links of one file does nothing and leaves the temporary: the key
      // already held these very bytes (a tree whose index was lost, re-exported).
      if (existing) {
        try {
          unlinkSync(tmp);
        } catch (err) {
          if (errno(err) !== 'ENOENT') onDisk(err, tmp);
        }
      }
      this.unsynced = true;
      return {key, size: st.size, mtime: st.mtime};
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        // already gone
      }
      throw err;
    }
  }

  /**
   * The usual case of putFile, a name not yet taken: link(2) straight to it is as atomic as the
   * link-and-rename that replaces a file, in two calls instead of five (with the temporary's
   * random name; measured for 15,000 files of a first export: 0.6 s of its 2.9). Undefined when
   * the name is taken (or the link cannot be made): putFile's general way then decides.
   */
  private linkNew(key: string, path: string, final: string, opts: PutOptions): BlobInfo | undefined {
    try {
      linkSync(path, final);
    } catch {
      return undefined;
    }
    const st = statSync(final);
    if (opts.size !== undefined && st.size !== opts.size) {
      unlinkSync(final);
      throw sizeMismatch(key, opts.size, st.size);
    }
    this.unsynced = true;
    return {key, size: st.size, mtime: st.mtime};
  }

  async get(key: string, range: ByteRange = {}): Promise<Readable> {
    const segments = blobKeySegments(key);
    const name = segments.pop()!;
    const dir = await this.dirOf(key, segments, false);
    if (dir === undefined) throw blobNotFound(key);
    const path = join(dir, name);
    let handle: FileHandle;
    try {
      handle = await open(path, READ_FLAGS);
    } catch (err) {
      const code = errno(err);
      if (ABSENT.has(code ?? '')) throw blobNotFound(key);
      // ELOOP on Linux and macOS, EMLINK on FreeBSD: the last component is a link.
      if (code === 'ELOOP' || code === 'EMLINK') throw symlinkRefused(key, path);
      return onDisk(err, path);
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw blobNotFound(key);
      const span = byteSpan(key, range, st.size);
      if (span === undefined) {
        await handle.close();
        return emptyStream();
      }
      // Read through the handle that was checked: an object replaced meanwhile is read whole, as it was.
      return createReadStream(path, {fd: handle, start: span.start, end: span.end, highWaterMark: CHUNK_SIZE});
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw err;
    }
  }

  async stat(key: string): Promise<BlobInfo | undefined> {
    const segments = blobKeySegments(key);
    const name = segments.pop()!;
    const dir = await this.dirOf(key, segments, false);
    if (dir === undefined) return undefined;
    const path = join(dir, name);
    const st = await entryAt(path);
    if (st?.isSymbolicLink()) throw symlinkRefused(key, path);
    return st?.isFile() ? {key, size: st.size, mtime: st.mtime} : undefined;
  }

  async list(prefix = ''): Promise<BlobInfo[]> {
    const {dirs, partial} = blobPrefixParts(prefix);
    const base = await this.dirOf(prefix, dirs, false);
    if (base === undefined) return [];
    const found: BlobInfo[] = [];
    await collect(base, dirs.join('/'), partial, found);
    return sortByKey(found);
  }

  async delete(key: string): Promise<void> {
    const segments = blobKeySegments(key);
    const name = segments.pop()!;
    const dir = await this.dirOf(key, segments, false);
    if (dir === undefined) return;
    const path = join(dir, name);
    const st = await entryAt(path);
    if (st?.isSymbolicLink()) throw symlinkRefused(key, path);
    // A directory (of other keys), a FIFO or a socket is not an object: nothing to delete.
    if (!st?.isFile()) return;
    try {
      await unlink(path);
    } catch (err) {
      if (errno(err) === 'ENOENT') return;
      onDisk(err, path);
    }
    await syncDir(dir);
    // Keys are not directories: leave none behind that only held this object.
    for (let d = dir, depth = segments.length; depth > 0; depth--, d = dirname(d)) {
      try {
        await rmdir(d);
      } catch {
        break; // in use (or already gone): so is everything above it
      }
    }
  }

  private async rootDir(create: boolean): Promise<string | undefined> {
    if (this.realRoot !== undefined) return this.realRoot;
    let real: string;
    try {
      real = await realpath(this.root);
    } catch (err) {
      if (errno(err) !== 'ENOENT') return onDisk(err, this.root);
      // A store nobody has written to yet is empty, not an error.
      if (!create) return undefined;
      await disk(mkdir(this.root, {recursive: true}), this.root);
      real = await disk(realpath(this.root), this.root);
    }
    if (!(await disk(stat(real), this.root)).isDirectory()) throw new UserError(`${this.root}: not a directory`, {code: 'NotDirectory'});
    this.realRoot = real;
    return real;
  }

  /**
   * Make every putFile so far durable: one syncfs(2) of the tree's filesystem (coreutils'
   * `sync -f`) rather than an fsync of each new directory, which for 10,000 versions was most
   * of an export's 17 s. The tree writer calls it before any products file names the files.
   */
  async flush(): Promise<void> {
    if (!this.unsynced) return;
    const root = await this.rootDir(false);
    if (root !== undefined) await execFileAsync('sync', ['-f', root]).catch((err: unknown) => onDisk(err, root));
    this.unsynced = false;
  }

  /**
   * The directory that holds the file of `key` (whose directory segments are `dirs`), inside the
   * root with no link on the way; undefined when it does not exist and `create` is false.
   */
  private async dirOf(key: string, dirs: readonly string[], create: boolean, sync = true): Promise<string | undefined> {
    const root = await this.rootDir(create);
    if (root === undefined || dirs.length === 0) return root;
    const lexical = join(root, ...dirs);
    if (this.checkedDirs.has(lexical)) return lexical;
    // The walk below makes its metadata calls synchronously: each takes microseconds on a local
    // disk, and through the thread pool their hand-offs cost several times the calls themselves
    // (an export of 10,000 versions makes 50,000 of them: 14.7 s async, see bench/README.md).
    let from = 0;
    if (!sync) for (let i = dirs.length - 1; i > 0 && from === 0; i--) if (this.checkedDirs.has(join(root, ...dirs.slice(0, i)))) from = i;
    // The usual case costs one call: the directory exists and is where its name says (the
    // trailing separator makes a file there fail rather than pass for a directory).
    if (from === 0 && realpathOrUndefined(lexical + sep) === lexical) return this.checked(lexical, sync);
    let dir = join(root, ...dirs.slice(0, from));
    for (let i = from; i < dirs.length; i++) {
      const next = join(dir, dirs[i]!);
      let st = entryAtSync(next);
      if (st === undefined) {
        if (!create) return undefined;
        try {
          mkdirSync(next, 0o755);
          // The new directory must survive a crash as well as the file that will be put in it.
          if (sync) await syncDir(dir);
          else this.unsynced = true;
        } catch (err) {
          if (errno(err) === 'ENAMETOOLONG') throw tooLong(key);
          if (errno(err) !== 'EEXIST') onDisk(err, next);
        }
        st = entryAtSync(next);
        if (st === undefined) return onDisk(Object.assign(new Error('vanished'), {code: 'ENOENT'}), next);
      }
      if (st.isSymbolicLink()) throw symlinkRefused(key, next);
      if (!st.isDirectory()) {
        if (!create) return undefined;
        throw keyConflict(key, dirs.slice(0, i + 1).join('/'));
      }
      dir = next;
      if (!sync) this.checkedDirs.add(dir);
    }
    return dir;
  }

  /** putFile (sync false) remembers the directories it has walked; put and get walk again. */
  private checked(dir: string, sync: boolean): string {
    if (!sync) this.checkedDirs.add(dir);
    return dir;
  }
}

/** The objects under `dir` (whose keys start `keyDir/`) with names starting `partial`, into `out`. */
async function collect(dir: string, keyDir: string, partial: string, out: BlobInfo[]): Promise<void> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, {withFileTypes: true});
  } catch (err) {
    const code = errno(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') return; // removed while listing
    onDisk(err, dir);
  }
  await Promise.all(
    entries.map(async (entry) => {
      // Temporaries of puts in progress, and names no key could have, are not objects.
      if (!entry.name.startsWith(partial) || !isKeySegment(entry.name)) return;
      const key = keyDir === '' ? entry.name : `${keyDir}/${entry.name}`;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return collect(path, key, '', out);
      if (!entry.isFile()) return;
      const st = await entryAt(path);
      if (st?.isFile()) out.push({key, size: st.size, mtime: st.mtime});
    }),
  );
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync.native(path);
  } catch {
    return undefined;
  }
}

/** lstat, or undefined when nothing is there (synchronous: see dirOf). */
function entryAtSync(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    const code = errno(err);
    if (ABSENT.has(code ?? '')) return undefined;
    return onDisk(err, path);
  }
}

/** lstat, or undefined when nothing is there. */
async function entryAt(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (err) {
    const code = errno(err);
    if (ABSENT.has(code ?? '')) return undefined;
    return onDisk(err, path);
  }
}

function symlinkRefused(key: string, path: string): UserError {
  return new UserError(`${key}: ${path} is a symbolic link, which a directory store does not follow`, {code: 'PermissionDenied'});
}

/** A file cannot also be a directory: `a` and `a/b` cannot both be objects here, as they can in S3. */
function keyConflict(key: string, object: string): UserError {
  const why = object === key ? `a directory holds other objects under "${key}/"` : `"${object}" is an object, so it cannot also hold others`;
  return new UserError(`Invalid object key "${key}" for a directory store: ${why}`, {code: 'InvalidBlobKey'});
}

/** What an lstat or open of a key's file fails with when no object is there (a name too long is none). */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'ENAMETOOLONG']);

/** A name the filesystem cannot hold (with room for the temporary's 18 more bytes). */
function tooLong(key: string): UserError {
  return new UserError(`Invalid object key "${key}" for a directory store: a segment is too long for the filesystem`, {code: 'InvalidBlobKey'});
}

const execFileAsync = promisify(execFile);

function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

const USER_FS_ERRORS = new Set(['EACCES', 'EPERM', 'ENOSPC', 'EISDIR', 'ENOTDIR']);

/** A full disk or a permission problem is the user's to fix: say so; anything else is a bug. */
function onDisk(err: unknown, path: string): never {
  if (USER_FS_ERRORS.has(errno(err) ?? '')) userFsError(err, path);
  throw err;
}

function disk<T>(p: Promise<T>, path: string): Promise<T> {
  return p.catch((err: unknown) => onDisk(err, path));
}
