import {open, type FileHandle} from 'node:fs/promises';
import {basename} from 'node:path';
import {detectFormat, requireFormat, SNIFF_BYTES, type DetectedFormat} from '../archive/detect.js';
import {hashMismatch, InvalidImageError, sizeMismatch, UsageError, UserError, userFsError} from '../errors.js';
import {CHUNK_SIZE, COPY_CHUNK_SIZE, fileChunks, streamChunks} from '../io/chunks.js';
import {ChunkWriter} from '../io/chunk-writer.js';
import {fileRoles, FingerprintHasher, type FileHash} from './fingerprint.js';
import type {ValidMetadata} from './metadata.js';
import type {ImageScanner, ScanResult} from './scan.js';
import type {FileRole, ImageSource, InstanceType} from './types.js';

export interface ReadFile {
  role: FileRole;
  /** The name the user gave (basename), which LXD records as `filename`. */
  sourceName: string;
  size: number;
  format: DetectedFormat;
  /** sha256 of this file alone; known at once for unified and metadata files (a rootfs's when its source declared one). */
  sha256?: string;
}

export interface ReadImageResult {
  fingerprint: string;
  /** Known from a unified tarball's members (when scanned) or a split image's root file. */
  type?: InstanceType;
  /** Set when the image was scanned. */
  metadata?: ValidMetadata;
  files: ReadFile[];
  size: number;
}

export interface ReadImageOptions {
  /** Read metadata.yaml and the root marker (as LXD's import does); off for a bare fingerprint. */
  scan: boolean;
  /** Copy each file here while reading it (one read of the input); undefined for a role leaves it uncopied. */
  copyTo?: (role: FileRole) => string | undefined;
  /** The fingerprint the source declared: anything else is refused. */
  fingerprint?: string;
  onProgress?: (done: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

interface OpenSource {
  name: string;
  size: number | undefined;
  declared: {size?: number; sha256?: string; verified?: boolean};
  chunks: AsyncGenerator<Buffer>;
  close(): Promise<void>;
}

async function openSource(src: ImageSource, chunkSize: number): Promise<OpenSource> {
  const declared = {
    ...(src.size !== undefined ? {size: src.size} : {}),
    ...(src.sha256 ? {sha256: src.sha256.toLowerCase(), ...(src.verified ? {verified: true} : {})} : {}),
  };
  if ('stream' in src) {
    return {name: src.name, size: src.size, declared, chunks: streamChunks(src.stream, {chunkSize}), close: async () => undefined};
  }
  let handle: FileHandle;
  try {
    handle = await open(src.path, 'r');
  } catch (err) {
    userFsError(err, src.path);
  }
  const st = await handle.stat();
  if (st.isDirectory()) {
    await handle.close();
    throw new UserError(`${src.path}: is a directory`, {code: 'IsDirectory', hint: 'build an image from a directory with img publish --rootfs'});
  }
  return {name: basename(src.path), size: st.isFile() ? st.size : src.size, declared, chunks: fileChunks(handle, {chunkSize}), close: () => handle.close()};
}

/**
 * Read an image (one unified file, or metadata + root) once: every byte is hashed into the
 * fingerprint as LXD computes it (sha256 of the file, or of metadata ‖ root), optionally copied,
 * and — when scanning — the tarballs are decompressed only as far as LXD itself reads them.
 * What a source declared (each file's size and sha256, the fingerprint) is checked on the way:
 * a download is an import that verifies itself. Memory stays flat: chunks come from a small ring.
 */
export async function readImage(sources: ImageSource[], opts: ReadImageOptions): Promise<ReadImageResult> {
  if (sources.length < 1 || sources.length > 2) throw new UsageError('an image is one unified file, or a metadata file and a root file');
  const roles = fileRoles(sources.length);
  const opened: OpenSource[] = [];
  try {
    const chunkSize = opts.copyTo ? COPY_CHUNK_SIZE : CHUNK_SIZE;
    for (const s of sources) opened.push(await openSource(s, chunkSize));
    const total = opened.every((o) => o.size !== undefined) ? opened.reduce((n, o) => n + (o.size ?? 0), 0) : undefined;
    const hasher = new FingerprintHasher();
    const progress = {done: 0, total};
    const files: ReadFile[] = [];
    let scanned: ScanResult | undefined;
    for (const [i, src] of opened.entries()) {
      const role = roles[i]!;
      // The metadata file is small: its own digest is free. A root file's costs a second pass of
      // sha256, paid only when its source declared one that was not checked already.
      const recheck = src.declared.sha256 !== undefined && !src.declared.verified;
      const hash = hasher.file(role, {own: role === 'metadata' || recheck});
      const r = await readOne(src, role, hash, opts, progress);
      // Checked as soon as the file ends: a bad metadata file stops a download before its root file.
      if (role !== 'unified') checkSha256(src, hash.digest());
      files.push(r.file);
      if (r.scan) scanned = r.scan;
    }
    const {fingerprint, sha256} = hasher.finish();
    if (roles[0] === 'unified') checkSha256(opened[0]!, fingerprint);
    for (const [i, f] of files.entries()) {
      const own = sha256[f.role] ?? (opened[i]!.declared.verified ? opened[i]!.declared.sha256 : undefined);
      if (own) f.sha256 = own;
    }
    if (opts.fingerprint && opts.fingerprint.toLowerCase() !== fingerprint) {
      throw new InvalidImageError(`fingerprint mismatch: expected ${opts.fingerprint.toLowerCase()}, got ${fingerprint}`, 'FingerprintMismatch');
    }
    const root = files.find((f) => f.role === 'rootfs');
    // Split: as the lxc client does, a qcow2 root makes a VM image, anything else a container.
    const type: InstanceType | undefined = root ? (root.format.kind === 'qcow2' ? 'virtual-machine' : 'container') : scanned?.type;
    const result: ReadImageResult = {fingerprint, files, size: files.reduce((n, f) => n + f.size, 0)};
    if (type) result.type = type;
    if (scanned) result.metadata = scanned.metadata;
    return result;
  } finally {
    await Promise.all(opened.map((o) => o.close().catch(() => undefined)));
  }
}

async function readOne(
  src: OpenSource,
  role: FileRole,
  hash: FileHash,
  opts: ReadImageOptions,
  progress: {done: number; total: number | undefined},
): Promise<{file: ReadFile; scan?: ScanResult}> {
  const label = src.name;
  const limit = src.declared.size;
  let format: DetectedFormat | undefined;
  let scanner: ImageScanner | undefined;
  let out: FileHandle | undefined;
  let writer: ChunkWriter | undefined;
  let size = 0;
  try {
    const target = opts.copyTo?.(role);
    if (target !== undefined) {
      try {
        out = await open(target, 'wx');
      } catch (err) {
        userFsError(err, target);
      }
      writer = new ChunkWriter(out);
    }
    let head: Buffer | undefined;
    for await (const chunk of src.chunks) {
      opts.signal?.throwIfAborted();
      if (!format) {
        // A chunk is at least SNIFF_BYTES long unless the input arrives in smaller pieces.
        head = head ? Buffer.concat([head, chunk]) : Buffer.from(chunk);
        if (head.length < SNIFF_BYTES && !detectFormat(head)) {
          await hashAndCopy(chunk);
          continue;
        }
        format = requireFormat(head, label);
        checkRole(format, role, label);
        if (opts.scan && role !== 'rootfs') {
          // Loaded on use: a bare fingerprint never parses tar or YAML.
          const {ImageScanner} = await import('./scan.js');
          scanner = await ImageScanner.create(format, role, label);
        }
        await hashAndCopy(chunk);
        if (scanner) await scanner.push(head);
        head = undefined;
        continue;
      }
      await hashAndCopy(chunk);
      // push() throws the scanner's refusal: the import stops here, not at the end of the file.
      await scanner?.push(chunk);
    }
    if (limit !== undefined && size !== limit) throw sizeMismatch(label, limit, size);
    if (!format) {
      // The whole input was shorter than a sniff and matched nothing on the way.
      format = requireFormat(head ?? Buffer.alloc(0), label);
      checkRole(format, role, label);
    }
    await writer?.flush();
    const scan = scanner ? await scanner.end() : undefined;
    if (out) {
      await out.close();
      out = undefined;
    }
    const file: ReadFile = {role, sourceName: src.name, size, format};
    return scan ? {file, scan} : {file};
  } catch (err) {
    scanner?.abort();
    await writer?.settle();
    throw err;
  } finally {
    await out?.close().catch(() => undefined);
  }

  async function hashAndCopy(chunk: Buffer): Promise<void> {
    size += chunk.length;
    // A source sending more than it declared is refused before the excess is hashed or stored.
    if (limit !== undefined && size > limit) throw sizeMismatch(label, limit, 'more');
    hash.update(chunk);
    progress.done += chunk.length;
    opts.onProgress?.(progress.done, progress.total);
    // The write runs while the next chunks are read and hashed; the ring keeps this one valid.
    await writer?.write(chunk);
  }
}

function checkSha256(src: OpenSource, got: string | undefined): void {
  const want = src.declared.sha256;
  // A verified root file was not hashed on its own again: nothing to compare (the fingerprint still covers it).
  if (got === undefined && src.declared.verified) return;
  if (want && want !== got) throw hashMismatch(src.name, want, got);
}

function checkRole(format: DetectedFormat, role: FileRole, label: string): void {
  if (role === 'rootfs') return;
  if (format.kind === 'tar') return;
  throw new InvalidImageError(
    role === 'unified'
      ? `${label}: a ${format.kind} file is not a unified image; give it as the root file after a metadata tarball`
      : `${label}: the metadata file must be a tarball, not ${format.kind}`,
    'NotATarball',
  );
}
