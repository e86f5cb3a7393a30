import {createHash, type Hash} from 'node:crypto';
import {open, type FileHandle} from 'node:fs/promises';
import {basename} from 'node:path';
import type {Readable} from 'node:stream';
import {detectFormat, requireFormat, SNIFF_BYTES, type DetectedFormat} from '../archive/detect.js';
import type {ImageScanner, InstanceType} from '../archive/image-scan.js';
import {InvalidImageError, UsageError, userFsError} from '../errors.js';
import {CHUNK_SIZE, COPY_CHUNK_SIZE, fileChunks, streamChunks} from '../io/chunks.js';
import {ChunkWriter} from '../io/write-all.js';
import type {ValidMetadata} from './metadata.js';

export type FileRole = 'unified' | 'metadata' | 'rootfs';

/** What each given file is: one file is a unified image, two are metadata then root. */
export function fileRoles(count: number): FileRole[] {
  return count === 1 ? ['unified'] : ['metadata', 'rootfs'];
}

/** Where image bytes come from: a file, or a stream such as stdin (`-`). */
export type ImageSource = {path: string} | {stream: Readable; name: string};

export interface ReadFile {
  role: FileRole;
  /** The name the user gave (basename), which LXD records as `filename`. */
  sourceName: string;
  size: number;
  format: DetectedFormat;
  /** sha256 of this file alone; known at once for unified and metadata files (the rootfs one is computed on demand). */
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
  onProgress?: (done: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

interface OpenSource {
  name: string;
  size: number | undefined;
  chunks: AsyncGenerator<Buffer>;
  close(): Promise<void>;
}

async function openSource(src: ImageSource, chunkSize: number): Promise<OpenSource> {
  if ('stream' in src) {
    return {name: src.name, size: undefined, chunks: streamChunks(src.stream, {chunkSize}), close: async () => undefined};
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
    throw new UsageError(`${src.path}: is a directory; build an image from a directory with img publish --rootfs`, 'IsDirectory');
  }
  return {name: basename(src.path), size: st.isFile() ? st.size : undefined, chunks: fileChunks(handle, {chunkSize}), close: () => handle.close()};
}

/**
 * Read an image (one unified file, or metadata + root) once: every byte is hashed into the
 * fingerprint as LXD computes it (sha256 of the file, or of metadata ‖ root), optionally copied,
 * and — when scanning — the tarballs are decompressed only as far as LXD itself reads them.
 * Memory stays flat: chunks come from a small ring of 1 MiB buffers.
 */
export async function readImage(sources: ImageSource[], opts: ReadImageOptions): Promise<ReadImageResult> {
  if (sources.length < 1 || sources.length > 2) throw new UsageError('an image is one unified file, or a metadata file and a root file');
  const roles = fileRoles(sources.length);
  const opened: OpenSource[] = [];
  try {
    const chunkSize = opts.copyTo ? COPY_CHUNK_SIZE : CHUNK_SIZE;
    for (const s of sources) opened.push(await openSource(s, chunkSize));
    const total = opened.every((o) => o.size !== undefined) ? opened.reduce((n, o) => n + (o.size ?? 0), 0) : undefined;
    const fp = createHash('sha256');
    const progress = {done: 0, total};
    const files: ReadFile[] = [];
    let scanned: Awaited<ReturnType<ImageScanner['end']>> | undefined;
    for (const [i, src] of opened.entries()) {
      const role = roles[i]!;
      const own = role === 'rootfs' ? undefined : role === 'metadata' ? createHash('sha256') : undefined;
      const r = await readOne(src, role, fp, own, opts, progress);
      files.push(r.file);
      if (r.scan) scanned = r.scan;
    }
    const fingerprint = fp.digest('hex');
    const unified = files[0]!;
    if (unified.role === 'unified') unified.sha256 = fingerprint;
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
  fp: Hash,
  own: Hash | undefined,
  opts: ReadImageOptions,
  progress: {done: number; total: number | undefined},
): Promise<{file: ReadFile; scan?: Awaited<ReturnType<ImageScanner['end']>>}> {
  const label = src.name;
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
          const {ImageScanner} = await import('../archive/image-scan.js');
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
    if (own) file.sha256 = own.digest('hex');
    return scan ? {file, scan} : {file};
  } catch (err) {
    scanner?.abort();
    await writer?.settle();
    throw err;
  } finally {
    await out?.close().catch(() => undefined);
  }

  async function hashAndCopy(chunk: Buffer): Promise<void> {
    fp.update(chunk);
    own?.update(chunk);
    size += chunk.length;
    progress.done += chunk.length;
    opts.onProgress?.(progress.done, progress.total);
    // The write runs while the next chunks are read and hashed; the ring keeps this one valid.
    await writer?.write(chunk);
  }
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
