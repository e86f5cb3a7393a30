import {constants as fsc} from 'node:fs';
import {open, readFile, rm, stat} from 'node:fs/promises';
import {join} from 'node:path';
import {finished, pipeline} from 'node:stream/promises';
import {createCompressor, releasesChunksAtCallback, type WriteCompression} from '../archive/codecs.js';
import {detectFormat, SNIFF_BYTES, type DetectedFormat} from '../archive/detect.js';
import {TarPacker, type PackOptions} from '../archive/pack-tree.js';
import {treeBytes} from '../archive/tree.js';
import {makeSquashfs} from '../archive/squashfs.js';
import {UsageError, UserError, userFsError} from '../errors.js';
import {hashFile} from '../io/hash-file.js';
import {HashSink} from '../io/hash-sink.js';
import {warnOrFail, type WarnOptions} from '../warn.js';
import {hostArchitecture} from './architectures.js';
import {FingerprintHasher} from './fingerprint.js';
import {MAX_METADATA_BYTES, parseMetadata, renderMetadata, type ImageMetadata, type ValidMetadata} from './metadata.js';
import {stageTemplates, stockTemplateSets} from './stock-templates.js';
import type {FileRole} from './types.js';

export type ImageLayout = 'unified' | 'split';
export type RootfsFormat = 'tar' | 'squashfs';

export interface BuildOptions extends WarnOptions {
  /** The root filesystem tree. */
  rootfs: string;
  /** A metadata.yaml to use; without it img writes one (this host's architecture, creation date now). */
  metadata?: string;
  /** A directory whose files become the image's templates/. */
  templates?: string;
  /** Stock template sets to add (see templates/stock.yaml): hostname, hosts, cloud-init. */
  stockTemplates?: string[];
  /** Properties merged into metadata.yaml's (img's deliberate difference: LXD replaces the map). */
  properties?: Record<string, string>;
  layout: ImageLayout;
  compression: WriteCompression;
  rootfsFormat: RootfsFormat;
  /** Record all files as owned by root. */
  allRoot?: boolean;
  /** SOURCE_DATE_EPOCH: fixes the creation date and every entry's mtime, for reproducible images. */
  sourceDateEpoch?: number;
  onProgress?: (progress: BuildProgress) => void;
}

/**
 * Where a build is: packing (`done` of `total` bytes of the rootfs's files read), mksquashfs
 * running (no figures), or hashing its output.
 */
export interface BuildProgress {
  phase: 'pack' | 'squashfs' | 'hash';
  done: number;
  total?: number;
}

export interface BuiltFile {
  role: FileRole;
  path: string;
  size: number;
  format: DetectedFormat;
  sha256: string;
}

export interface BuiltImage {
  fingerprint: string;
  type: 'container';
  metadata: ValidMetadata;
  files: BuiltFile[];
  size: number;
}

/**
 * Build an image from a root filesystem tree into `workDir` (files named `unified`, or
 * `metadata` + `rootfs`), hashing as it writes. metadata.yaml comes first in every tarball (LXD
 * reads it 3× faster there) and entries are sorted with fixed owners and times, so the same
 * input and SOURCE_DATE_EPOCH give the same fingerprint.
 */
export async function buildImage(workDir: string, opts: BuildOptions): Promise<BuiltImage> {
  const rootStat = await stat(opts.rootfs).catch((err: unknown) => userFsError(err, opts.rootfs));
  if (!rootStat.isDirectory()) throw new UsageError(`${opts.rootfs}: the rootfs must be a directory`, 'NotDirectory');
  if (opts.templates) {
    const st = await stat(opts.templates).catch((err: unknown) => userFsError(err, opts.templates!));
    if (!st.isDirectory()) throw new UsageError(`${opts.templates}: --templates must be a directory`, 'NotDirectory');
  }
  const {bytes: metadataBytes, valid} = await prepareMetadata(opts);
  const templatesDir = await stageTemplates(workDir, opts.stockTemplates, opts.templates, valid.metadata);
  for (const [path, entry] of Object.entries(valid.metadata.templates)) {
    if (!entry || !entry.template) continue;
    const exists = templatesDir
      ? await stat(join(templatesDir, entry.template)).then(
          (s) => s.isFile(),
          () => false,
        )
      : false;
    if (!exists) {
      warnOrFail(
        opts,
        'TemplateMissing',
        `template ${entry.template} for ${path} is not in the image's templates/ (LXD accepts this; rendering will skip it)`,
        {template: entry.template, path},
      );
    }
  }
  const mtime = opts.sourceDateEpoch;
  const metaTime = mtime ?? Number(valid.metadata.creation_date);
  const pack: PackOptions = {};
  if (mtime !== undefined) pack.mtime = mtime;
  if (opts.allRoot) pack.allRoot = true;
  const hasher = new FingerprintHasher();
  const made: Array<Omit<BuiltFile, 'sha256'>> = [];
  const progress = opts.onProgress;
  const total = progress && opts.rootfsFormat === 'tar' ? treeBytes(opts.rootfs) : 0;
  let packed = 0;
  if (progress) {
    pack.onData = (n: number) => {
      packed += n;
      progress({phase: 'pack', done: packed, total});
    };
  }

  const writeTar = async (role: FileRole, fill: (p: TarPacker) => Promise<void>): Promise<void> => {
    const path = join(workDir, role);
    const hash = hasher.file(role, {own: true});
    const handle = await open(path, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o644);
    try {
      const sink = new HashSink(handle, [hash]);
      // Uncompressed, the packer's chunks go straight to the hash and the file.
      const compressor = opts.compression === 'none' ? undefined : await createCompressor(opts.compression);
      const head = compressor ?? sink;
      const flow = compressor ? pipeline(compressor, sink) : finished(sink);
      flow.catch(() => undefined);
      const packer = new TarPacker(head, compressor !== undefined && releasesChunksAtCallback(compressor));
      try {
        await fill(packer);
        await packer.finish();
        head.end();
      } catch (err) {
        packer.release();
        head.destroy(err as Error);
        await flow.catch(() => undefined);
        throw err;
      }
      await flow;
      made.push(await builtFile(role, path, sink.bytes));
    } finally {
      await handle.close();
    }
  };
  const packMetadata = async (p: TarPacker) => {
    await p.addBuffer('metadata.yaml', metadataBytes, metaTime);
    if (templatesDir) await p.addTree(templatesDir, 'templates/', {mtime: mtime ?? metaTime, allRoot: true});
  };

  if (opts.layout === 'unified') {
    if (opts.rootfsFormat === 'squashfs') throw new UsageError('a squashfs rootfs needs --format split (a unified image is one tarball)', 'Usage');
    await writeTar('unified', async (p) => {
      await packMetadata(p);
      await p.addTree(opts.rootfs, 'rootfs/', pack);
    });
  } else {
    await writeTar('metadata', packMetadata);
    if (opts.rootfsFormat === 'tar') {
      await writeTar('rootfs', (p) => p.addTree(opts.rootfs, './', pack));
    } else {
      const path = join(workDir, 'rootfs');
      const sq: Parameters<typeof makeSquashfs>[2] = {compression: opts.compression, mkfsTime: metaTime};
      if (mtime !== undefined) sq.allTime = mtime;
      if (opts.allRoot) sq.allRoot = true;
      progress?.({phase: 'squashfs', done: 0});
      await makeSquashfs(opts.rootfs, path, sq);
      const hash = hasher.file('rootfs', {own: true});
      const size = (await stat(path)).size;
      made.push(await builtFile('rootfs', path, await hashFile(path, [hash], progress ? (n) => progress({phase: 'hash', done: n, total: size}) : undefined)));
    }
  }
  if (templatesDir && templatesDir !== opts.templates) await rm(templatesDir, {recursive: true, force: true});
  const {fingerprint, sha256} = hasher.finish();
  const files = made.map((f) => ({...f, sha256: sha256[f.role]!}));
  return {fingerprint, type: 'container', metadata: valid, files, size: files.reduce((n, f) => n + f.size, 0)};
}

async function builtFile(role: FileRole, path: string, size: number): Promise<Omit<BuiltFile, 'sha256'>> {
  const handle = await open(path, 'r');
  const head = Buffer.alloc(SNIFF_BYTES);
  try {
    await handle.read(head, 0, head.length, 0);
  } finally {
    await handle.close();
  }
  const format = detectFormat(head);
  if (!format) throw new Error(`built ${role} file is in no format LXD reads`);
  return {role, path, size, format};
}

/**
 * metadata.yaml for the new image. A given file is validated as import would validate it and
 * copied byte for byte unless something must change (properties, stock templates), in which case
 * it is rewritten; without one, img writes a minimal one as LXD's publish does.
 */
async function prepareMetadata(opts: BuildOptions): Promise<{bytes: Uint8Array; valid: ValidMetadata}> {
  const props = opts.properties ?? {};
  let metadata: ImageMetadata;
  let original: Uint8Array | undefined;
  if (opts.metadata) {
    const st = await stat(opts.metadata).catch((err: unknown) => userFsError(err, opts.metadata!));
    if (st.size > MAX_METADATA_BYTES)
      throw new UserError(`${opts.metadata}: metadata.yaml is too large (${st.size} bytes; the limit is ${MAX_METADATA_BYTES})`, {code: 'MetadataTooLarge'});
    original = await readFile(opts.metadata);
    metadata = parseMetadata(original).metadata;
  } else {
    const now = opts.sourceDateEpoch ?? Math.floor(Date.now() / 1000);
    metadata = {architecture: hostArchitecture(), creation_date: BigInt(now), expiry_date: 0n, properties: {}, templates: {}};
  }
  let changed = original === undefined || Object.keys(props).length > 0;
  metadata.properties = {...metadata.properties, ...props};
  if (opts.stockTemplates && opts.stockTemplates.length > 0) {
    const sets = await stockTemplateSets();
    for (const name of opts.stockTemplates) {
      const set = sets[name];
      if (!set) throw new UsageError(`unknown stock template set "${name}" (known: ${Object.keys(sets).join(', ')})`, 'UnknownStockTemplates');
      for (const [path, entry] of Object.entries(set.templates)) {
        // The user's own metadata.yaml wins where both name the same file.
        if (metadata.templates[path]) continue;
        metadata.templates[path] = {...entry, properties: {...(entry.properties ?? {})}};
        changed = true;
      }
    }
  }
  const bytes = changed ? Buffer.from(renderMetadata(metadata)) : original!;
  return {bytes, valid: parseMetadata(bytes)};
}
