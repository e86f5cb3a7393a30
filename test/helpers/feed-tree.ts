// Real simplestreams trees on disk (../shared/spec/simplestreams.md §1–§5): every payload is a
// real image file written by the built `img publish` CLI (or, for VMs, a hand-made metadata
// tarball and an empty qcow2), so that img's remotes code and a real LXD can copy from the same
// feed. The in-code products files of test/lib/simplestreams/feed.ts are for the parser alone.
import {createHash} from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  createReadStream,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import {mkdtemp} from 'node:fs/promises';
import {dirname, isAbsolute, join} from 'node:path';
import {seededBytes} from './bytes.js';
import {fingerprintIn, imgAsync} from './cli.js';
import {makeRootfs} from './images.js';
import {tarOf} from './tar-bytes.js';
import {tempDir} from './tmp.js';
import {xzSync} from './xz.js';

/** How an image's root is carried: a split root of that ftype, or one unified `lxd_combined.tar.gz`. */
export type RootKind = 'squashfs' | 'root.tar.xz' | 'disk-kvm.img' | 'combined';

export interface TreeFile {
  /** The item's key in its version's `items`. */
  item: string;
  ftype: string;
  /** Relative to the tree's base (the item's `path`): join(tree.dir, path) is the file. */
  path: string;
  size: number;
  sha256: string;
}

/** One image the feed offers, as built: `files` and `fingerprint` are the truth, whatever a corrupt* call later makes the feed say. */
export interface TreeImage {
  product: string;
  version: string;
  fingerprint: string;
  type: 'container' | 'virtual-machine';
  kind: RootKind;
  /** The product's arch as the feed writes it (amd64, arm64). */
  arch: string;
  /** The metadata tarball then the root, or the one unified file. */
  files: TreeFile[];
}

/** A product of the tree and how to make each of its versions. */
export interface ProductSpec {
  /** `os:release:arch:variant`, lower case. */
  name: string;
  os: string;
  release: string;
  releaseTitle: string;
  arch: string;
  variant: string;
  aliases: string[];
  /** architecture in metadata.yaml: LXD does not check it on a simplestreams copy, but a real feed matches its product. */
  metadataArch: string;
  /** One image per root for each version; the split roots of a version share one metadata tarball, as on a real feed. */
  roots: RootKind[];
  /** Version keys made by buildFeedTree. */
  versions: string[];
  /** Leave combined_rootxz_sha256 empty so that LXD falls back to combined_sha256 (§2.3). */
  rootxzFallback?: boolean;
  /** --compression of img publish (the metadata tarball keeps its `lxd.tar.xz` ftype and name whatever it is). */
  compression?: 'xz' | 'gzip';
  /** For bigImage: the rootfs is one file of this many MiB of incompressible bytes instead of makeRootfs's tree. */
  bigMiB?: number;
  /** More product keys, written as given (support_eol, lxd_requirements…). */
  extra?: Record<string, unknown>;
}

export type Json = Record<string, unknown>;

export interface FeedTree {
  /** The base: serve this directory and point a client at its URL. */
  dir: string;
  specs: ProductSpec[];
  /** Every image, oldest first; edit it and call write() to change what the feed offers. */
  images: TreeImage[];
  /** The newest image of a product (of one root kind, when given; else its first root). */
  find(product: string, kind?: RootKind): TreeImage;
  /** Add a newer version of a product: new files, then images.json, then index.json. */
  addVersion(product: string, version: string): Promise<TreeImage[]>;
  /** A change to the products document kept across rewrites (corrupt* use it); rewrites at once. */
  patch(edit: (products: Json) => void): void;
  /** Rewrite images.json and index.json from `images`, `specs` and the patches. */
  write(): void;
  /** The products document write() would write now. */
  products(): Json;
}

const MIB = 1 << 20;
export const PRODUCTS_PATH = 'streams/v1/images.json';
export const INDEX_PATH = 'streams/v1/index.json';

function spec(release: string, arch: string, aliases: string[], roots: RootKind[], more: Partial<ProductSpec> = {}): ProductSpec {
  return {
    name: `spectest:${release}:${arch}:default`,
    os: 'Spectest',
    release,
    releaseTitle: release[0]!.toUpperCase() + release.slice(1),
    arch,
    variant: 'default',
    aliases,
    metadataArch: arch === 'arm64' ? 'aarch64' : 'x86_64',
    roots,
    versions: ['20240301_0000'],
    ...more,
  };
}

/** The default products: one of each shape LXD reads (§2.2, §2.3), and two versions of the first so that the newest serial must win. */
export function defaultSpecs(): ProductSpec[] {
  return [
    spec('split', 'amd64', ['spectest/split', 'spectest/split/latest'], ['squashfs', 'root.tar.xz'], {
      versions: ['20240201_0000', '20240301_0000'],
      extra: {support_eol: '2030-01-01', lxd_requirements: {nesting: 'true'}},
    }),
    spec('xzonly', 'amd64', ['spectest/xzonly'], ['root.tar.xz'], {rootxzFallback: true}),
    spec('unified', 'amd64', ['spectest/unified'], ['combined'], {compression: 'gzip'}),
    spec('vm', 'amd64', ['spectest/vmonly'], ['disk-kvm.img']),
    spec('dual', 'amd64', ['spectest/dual'], ['squashfs', 'disk-kvm.img']),
    spec('arm', 'arm64', ['spectest/arm'], ['squashfs']),
  ];
}

/** sha256 of a file, read in chunks. */
export function sha256File(path: string): Promise<string> {
  return sha256Files([path]);
}

/** sha256 of files one after the other: a split image's fingerprint is sha256Files([meta, root]). */
export async function sha256Files(paths: string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const p of paths) for await (const chunk of createReadStream(p, {highWaterMark: MIB})) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Version keys are `YYYYMMDD_HHMM` (LXD needs the first 8 characters to be a date: §2.1). */
export function versionEpoch(version: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})(?:_(\d{2})(\d{2}))?/.exec(version);
  if (!m) throw new Error(`version key ${version} does not start with YYYYMMDD`);
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0)) / 1000;
}

/** simplestreams' `updated` format: `Fri, 01 Mar 2024 00:00:00 +0000`. */
function updated(epoch: number): string {
  return new Date(epoch * 1000).toUTCString().replace(/GMT$/, '+0000');
}

/**
 * An empty qcow2 v3 image of `virtualSize` bytes, laid out as `qemu-img create -f qcow2` lays it
 * out (qemu-img is not a test dependency): header in cluster 0, refcount table in cluster 1, one
 * refcount block in cluster 2, the L1 table (all entries unallocated) from cluster 3, every used
 * cluster counted once, no header extensions. `qemu-img check` finds no errors and no leaks.
 */
export function emptyQcow2(virtualSize = 64 * MIB): Buffer {
  const clusterBits = 16;
  const cluster = 1 << clusterBits;
  if (virtualSize % 512 !== 0 || virtualSize <= 0) throw new Error('qcow2 size must be a positive multiple of 512');
  const perL2 = cluster * (cluster / 8); // bytes of guest disk one L2 table maps
  const l1Size = Math.ceil(virtualSize / perL2);
  const l1Clusters = Math.ceil((l1Size * 8) / cluster);
  const used = 3 + l1Clusters;
  if (used > cluster / 2) throw new Error('qcow2 too large for one refcount block');
  const out = Buffer.alloc(3 * cluster + l1Size * 8);
  out.write('QFI\xfb', 0, 'latin1');
  out.writeUInt32BE(3, 4); // version
  // 8: backing_file_offset, 16: backing_file_size: 0 (no backing file)
  out.writeUInt32BE(clusterBits, 20);
  out.writeBigUInt64BE(BigInt(virtualSize), 24);
  // 32: crypt_method 0
  out.writeUInt32BE(l1Size, 36);
  out.writeBigUInt64BE(BigInt(3 * cluster), 40); // l1_table_offset
  out.writeBigUInt64BE(BigInt(cluster), 48); // refcount_table_offset
  out.writeUInt32BE(1, 56); // refcount_table_clusters
  // 60: nb_snapshots 0, 64: snapshots_offset 0, 72–95: incompatible, compatible, autoclear features 0
  out.writeUInt32BE(4, 96); // refcount_order: 16-bit refcounts
  out.writeUInt32BE(104, 100); // header_length; the zero bytes after it read as the end-of-extensions marker
  out.writeBigUInt64BE(BigInt(2 * cluster), cluster); // refcount table[0] → the refcount block
  for (let i = 0; i < used; i++) out.writeUInt16BE(1, 2 * cluster + 2 * i);
  return out;
}

/** metadata.yaml of a product's version (the properties are the ones a real builder writes; LXD ignores them on a simplestreams copy). */
function metadataYaml(s: ProductSpec, version: string): string {
  return `architecture: ${s.metadataArch}
creation_date: ${versionEpoch(version)}
properties:
  architecture: ${s.arch}
  description: ${s.os} ${s.releaseTitle} ${s.arch} (${version})
  os: ${s.os}
  release: ${s.release}
  serial: "${version}"
  variant: ${s.variant}
templates:
  /etc/hostname:
    when:
    - create
    - copy
    template: hostname.tpl
`;
}

/** Writes `size` bytes of incompressible data in 1 MiB pieces (never one big buffer), each piece from its own seed. */
function writeSeededFile(path: string, size: number, seed: number): void {
  const fd = openSync(path, 'w');
  try {
    for (let off = 0, i = 0; off < size; off += MIB, i++) writeSync(fd, seededBytes(Math.min(MIB, size - off), seed * 100_003 + i + 1));
  } finally {
    closeSync(fd);
  }
}

function seedOf(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0);
}

/** Moves a file into the tree (rename, or copy across filesystems). */
function move(from: string, to: string): void {
  mkdirSync(dirname(to), {recursive: true});
  try {
    renameSync(from, to);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EXDEV') throw e;
    copyFileSync(from, to);
    rmSync(from);
  }
}

const ROOT_ITEM: Record<Exclude<RootKind, 'combined'>, {item: string; file: string}> = {
  squashfs: {item: 'root.squashfs', file: 'root.squashfs'},
  'root.tar.xz': {item: 'root.tar.xz', file: 'root.tar.xz'},
  'disk-kvm.img': {item: 'disk.qcow2', file: 'disk.qcow2'},
};

/** Publishes with the real CLI into a fresh store and output directory; returns the fingerprint and the files written. */
async function publish(work: string, args: string[], epoch: number): Promise<{fingerprint: string; at: string; out: string; files: string[]}> {
  const at = await mkdtemp(join(work, 'pub-'));
  const out = join(at, 'out');
  const r = await imgAsync(['publish', ...args, '--output', out, '-q'], {home: join(at, 'home'), env: {SOURCE_DATE_EPOCH: String(epoch)}});
  const fingerprint = fingerprintIn(r.stdout);
  if (r.code !== 0 || !fingerprint) throw new Error(`img publish ${args.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
  // The store copy is not needed: only --output's files go into the tree.
  rmSync(join(at, 'home'), {recursive: true, force: true});
  return {fingerprint, at, out, files: readdirSync(out).sort()};
}

async function describeFile(dir: string, item: string, ftype: string, path: string): Promise<TreeFile> {
  const abs = join(dir, path);
  return {item, ftype, path, size: statSync(abs).size, sha256: await sha256File(abs)};
}

/** Makes one version of a product: its files in the tree and its images (not yet in any products file). */
async function makeVersion(dir: string, work: string, s: ProductSpec, version: string): Promise<TreeImage[]> {
  const base = `images/${s.os.toLowerCase()}/${s.release}/${s.arch}/${s.variant}/${version}`;
  const epoch = versionEpoch(version);
  const src = await mkdtemp(join(work, 'src-'));
  const rootfs = join(src, 'rootfs');
  if (s.bigMiB !== undefined) {
    mkdirSync(join(rootfs, 'etc'), {recursive: true});
    writeFileSync(join(rootfs, 'etc/hostname'), `${s.name}@${version}\n`);
    writeSeededFile(join(rootfs, 'data'), s.bigMiB * MIB, seedOf(`${s.name}@${version}`));
  } else makeRootfs(rootfs, `${s.name}@${version}`);
  mkdirSync(join(src, 'templates'));
  writeFileSync(join(src, 'templates/hostname.tpl'), '{{ container.name }}\n');
  const containerRoots = s.roots.filter((k) => k === 'squashfs' || k === 'root.tar.xz');
  writeFileSync(join(src, 'metadata.yaml'), metadataYaml(s, version));
  const common = ['--rootfs', rootfs, '--metadata', join(src, 'metadata.yaml'), '--templates', join(src, 'templates'), '--compression', s.compression ?? 'xz'];
  const images: TreeImage[] = [];
  const image = (kind: RootKind, fingerprint: string, files: TreeFile[]): TreeImage => ({
    product: s.name,
    version,
    fingerprint,
    type: kind === 'disk-kvm.img' ? 'virtual-machine' : 'container',
    kind,
    arch: s.arch,
    files,
  });

  if (s.roots.includes('combined')) {
    const p = await publish(work, [...common, '--format', 'unified'], epoch);
    move(join(p.out, p.files[0]!), join(dir, base, 'lxd_combined.tar.gz'));
    const file = await describeFile(dir, 'lxd_combined.tar.gz', 'lxd_combined.tar.gz', `${base}/lxd_combined.tar.gz`);
    rmSync(p.at, {recursive: true});
    if (file.sha256 !== p.fingerprint) throw new Error(`unified image hash ${file.sha256} is not img's fingerprint ${p.fingerprint}`);
    images.push(image('combined', p.fingerprint, [file]));
  }

  // A real feed has one lxd.tar.xz per version for all its roots: img is deterministic, so
  // publishing the same metadata for each root must give the same metadata tarball each time.
  const metaPath = `${base}/lxd.tar.xz`;
  let meta: TreeFile | undefined;
  const takeMeta = async (from: string): Promise<TreeFile> => {
    if (meta) {
      const same = readFileSync(from).equals(readFileSync(join(dir, metaPath)));
      if (!same) throw new Error(`img publish wrote different metadata tarballs for one version of ${s.name}`);
      rmSync(from);
      return meta;
    }
    move(from, join(dir, metaPath));
    meta = await describeFile(dir, 'lxd.tar.xz', 'lxd.tar.xz', metaPath);
    return meta;
  };
  for (const kind of containerRoots) {
    const p = await publish(work, [...common, '--format', 'split', '--rootfs-format', kind === 'squashfs' ? 'squashfs' : 'tar'], epoch);
    const metaName = p.files.find((f) => f.startsWith('meta-'))!;
    const rootName = p.files.find((f) => !f.startsWith('meta-'))!;
    const m = await takeMeta(join(p.out, metaName));
    const {item, file} = ROOT_ITEM[kind];
    move(join(p.out, rootName), join(dir, base, file));
    rmSync(p.at, {recursive: true});
    const root = await describeFile(dir, item, kind, `${base}/${file}`);
    const fp = await sha256Files([join(dir, m.path), join(dir, root.path)]);
    if (fp !== p.fingerprint) throw new Error(`sha256(meta ‖ root) ${fp} is not img's fingerprint ${p.fingerprint}`);
    images.push(image(kind, fp, [m, root]));
  }

  if (s.roots.includes('disk-kvm.img')) {
    // img publishes no VM images: an LXD VM metadata tarball is metadata.yaml and templates/,
    // without rootfs/. Written by tarOf and the system xz, both deterministic.
    if (!meta) {
      const tarball = xzSync(
        tarOf([
          {name: 'metadata.yaml', data: readFileSync(join(src, 'metadata.yaml'))},
          {name: 'templates/'},
          {name: 'templates/hostname.tpl', data: readFileSync(join(src, 'templates/hostname.tpl'))},
        ]),
      );
      mkdirSync(join(dir, base), {recursive: true});
      writeFileSync(join(dir, metaPath), tarball);
      meta = await describeFile(dir, 'lxd.tar.xz', 'lxd.tar.xz', metaPath);
    }
    const {item, file} = ROOT_ITEM['disk-kvm.img'];
    writeFileSync(join(dir, base, file), emptyQcow2());
    const root = await describeFile(dir, item, 'disk-kvm.img', `${base}/${file}`);
    images.push(image('disk-kvm.img', await sha256Files([join(dir, meta.path), join(dir, root.path)]), [meta, root]));
  }
  rmSync(src, {recursive: true, force: true});
  return images;
}

const COMBINED_FIELD: Record<Exclude<RootKind, 'combined'>, string> = {
  squashfs: 'combined_squashfs_sha256',
  'root.tar.xz': 'combined_rootxz_sha256',
  'disk-kvm.img': 'combined_disk-kvm-img_sha256',
};

/** JSON as python simplestreams writes it (§6.1): keys sorted, one-space indent, no trailing newline. */
export function canonicalJson(value: unknown): string {
  const sort = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sort);
    if (v === null || typeof v !== 'object') return v;
    const keys = Object.keys(v).sort();
    return Object.fromEntries(keys.map((k) => [k, sort((v as Json)[k])]));
  };
  return JSON.stringify(sort(value), null, 1);
}

/** Written under a temporary name and renamed, so a reader sees the old file or the new one, never half of one. */
function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), {recursive: true});
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** The products:1.0 document LXD reads for `images` (§1.2, §2): product keys on the product, download keys and combined hashes on the items. */
export function productsDocument(specs: ProductSpec[], images: TreeImage[]): Json {
  const products: Record<string, Json> = {};
  for (const img of images) {
    const s = specs.find((p) => p.name === img.product);
    if (!s) throw new Error(`no product spec for ${img.product}`);
    const product = (products[s.name] ??= {
      aliases: s.aliases.join(','),
      arch: s.arch,
      os: s.os,
      release: s.release,
      release_title: s.releaseTitle,
      variant: s.variant,
      ...s.extra,
      versions: {},
    });
    const versions = product.versions as Record<string, {items: Record<string, Json>}>;
    const items = (versions[img.version] ??= {items: {}}).items;
    for (const f of img.files) items[f.item] ??= {ftype: f.ftype, path: f.path, sha256: f.sha256, size: f.size};
    if (img.kind === 'combined') continue;
    const metaItem = items[img.files[0]!.item]!;
    if (img.kind === 'root.tar.xz') {
      // images.linuxcontainers.org also writes the root.tar.xz pair's hash as combined_sha256.
      metaItem.combined_sha256 = img.fingerprint;
      metaItem.combined_rootxz_sha256 = s.rootxzFallback ? '' : img.fingerprint;
    } else metaItem[COMBINED_FIELD[img.kind]] = img.fingerprint;
  }
  const newest = Math.max(0, ...images.map((i) => versionEpoch(i.version)));
  return {content_id: 'images', datatype: 'image-downloads', format: 'products:1.0', updated: updated(newest), products};
}

/** Writes images.json and then index.json (the index last, so a reader that sees a new index finds its products file). */
export function writeStreams(dir: string, products: Json): void {
  const names = Object.keys(products.products as Json).sort();
  const index = {
    format: 'index:1.0',
    updated: products.updated,
    index: {images: {datatype: 'image-downloads', format: 'products:1.0', path: PRODUCTS_PATH, updated: products.updated, products: names}},
  };
  writeAtomic(join(dir, PRODUCTS_PATH), canonicalJson(products));
  writeAtomic(join(dir, INDEX_PATH), canonicalJson(index));
}

/**
 * Builds the default tree (or `opts.specs`) in `dir` with the built CLI (`npm run build` first).
 * Products are built side by side; the same inputs give the same bytes and fingerprints on one
 * machine (they depend on its xz and mksquashfs versions, as img's output does).
 */
export async function buildFeedTree(dir: string, opts: {specs?: ProductSpec[]; work?: string} = {}): Promise<FeedTree> {
  const work = opts.work ?? tempDir('feed-work-');
  const specs = opts.specs ?? defaultSpecs();
  mkdirSync(dir, {recursive: true});
  const built = await Promise.all(
    specs.map(async (s) => {
      const out: TreeImage[] = [];
      for (const v of [...s.versions].sort()) out.push(...(await makeVersion(dir, work, s, v)));
      return out;
    }),
  );
  const patches: Array<(products: Json) => void> = [];
  const tree: FeedTree = {
    dir,
    specs,
    images: built.flat().sort((a, b) => a.version.localeCompare(b.version)),
    find(product, kind) {
      const s = specs.find((p) => p.name === product);
      const want = kind ?? s?.roots[0];
      const found = tree.images.filter((i) => i.product === product && i.kind === want).sort((a, b) => b.version.localeCompare(a.version))[0];
      if (!found) throw new Error(`no ${want ?? ''} image of ${product} in the tree`);
      return found;
    },
    async addVersion(product, version) {
      const s = specs.find((p) => p.name === product);
      if (!s) throw new Error(`no product ${product} in the tree`);
      const added = await makeVersion(dir, work, s, version);
      s.versions.push(version);
      tree.images.push(...added);
      tree.write();
      return added;
    },
    patch(edit) {
      patches.push(edit);
      tree.write();
    },
    products() {
      const doc = productsDocument(specs, tree.images);
      for (const p of patches) p(doc);
      return doc;
    },
    write() {
      writeStreams(dir, tree.products());
    },
  };
  tree.write();
  return tree;
}

/** Adds `spectest:big:amd64:default` (alias spectest/big): a split squashfs image whose root holds `mib` MiB of incompressible bytes. */
export async function bigImage(tree: FeedTree, mib: number, version = '20240301_0000'): Promise<TreeImage> {
  // gzip: on incompressible data mksquashfs's xz is several times slower for the same size.
  tree.specs.push(spec('big', 'amd64', ['spectest/big'], ['squashfs'], {versions: [], compression: 'gzip', bigMiB: mib}));
  const [image] = await tree.addVersion('spectest:big:amd64:default', version);
  return image!;
}

type Items = Record<string, Json>;

function versionItems(products: Json, product: string, version?: string): Items {
  const p = (products.products as Record<string, Json> | undefined)?.[product];
  const versions = p?.versions as Record<string, {items: Items}> | undefined;
  const keys = Object.keys(versions ?? {}).sort();
  const key = version ?? keys.at(-1);
  const items = key === undefined ? undefined : versions?.[key]?.items;
  if (!items) throw new Error(`no version ${version ?? ''} of ${product} in the feed`);
  return items;
}

/** A different, well-formed digest. */
function otherDigest(hex: string): string {
  return createHash('sha256').update(`corrupt:${hex}`).digest('hex');
}

/** Makes the feed advertise a wrong sha256 for one item of a product's newest version (or `version`); the file is untouched. Returns the advertised digest. */
export function corruptItemSha256(tree: FeedTree, product: string, itemName: string, version?: string): string {
  const bad = otherDigest(`${product}/${version ?? ''}/${itemName}`);
  tree.patch((doc) => {
    const item = versionItems(doc, product, version)[itemName];
    if (!item) throw new Error(`no item ${itemName} in ${product}`);
    item.sha256 = bad;
  });
  return bad;
}

/**
 * Makes the feed advertise a wrong fingerprint for a product's newest image of `kind` (default its
 * first root): the combined_* field LXD reads for that root (§2.3), or a unified item's sha256.
 * Returns the advertised fingerprint.
 */
export function corruptCombined(tree: FeedTree, product: string, kind?: RootKind): string {
  const image = tree.find(product, kind);
  const bad = otherDigest(image.fingerprint);
  tree.patch((doc) => {
    const items = versionItems(doc, product, image.version);
    const first = items[image.files[0]!.item]!;
    if (image.kind === 'combined') first.sha256 = bad;
    else if (image.kind === 'root.tar.xz' && !first.combined_rootxz_sha256) first.combined_sha256 = bad;
    else first[COMBINED_FIELD[image.kind]] = bad;
  });
  return bad;
}

/** Flips one byte in the middle of a payload file (an item path, or an absolute path), keeping its size; returns the offset. */
export function corruptFile(tree: FeedTree, path: string, offset?: number): number {
  const abs = isAbsolute(path) ? path : join(tree.dir, path);
  const size = statSync(abs).size;
  const at = offset ?? Math.floor(size / 2);
  if (at < 0 || at >= size) throw new Error(`offset ${at} outside ${path} (${size} bytes)`);
  const fd = openSync(abs, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, at);
    b[0] = b[0]! ^ 0xff;
    writeSync(fd, b, 0, 1, at);
  } finally {
    closeSync(fd);
  }
  return at;
}
