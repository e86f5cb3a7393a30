/**
 * What img publishes as simplestreams, before any flavour has its say: each public image becomes
 * one FeedImage, a version of product `<os>:<release>:<arch>:<variant>` (../shared/spec/cli.md,
 * "How store images become simplestreams products"), with its files named as they will be in a
 * tree. The flavours (flavors/) turn the same FeedImages into LXD, OpenStack or MAAS documents.
 */
import type {Compression, PayloadKind} from '../archive/detect.js';
import type {FileRole, ImageView, InstanceType} from '../image/types.js';
import {isUnset} from '../time.js';

/** One file of a published image. */
export interface FeedFile {
  role: FileRole;
  kind: PayloadKind;
  /** How the bytes are compressed, when known: MAAS names a root tarball's item by it. */
  compression?: Compression;
  /** Its name in the tree, the last segment of its path (`lxd.tar.xz`, `root.squashfs`, `disk.qcow2`…). */
  name: string;
  size: number;
  sha256: string;
  /** Needed by the OpenStack flavour (glance re-checks it); the store computes it on first use. */
  md5?: string;
  /** Where the bytes are now: a store file or a file given to `add`. */
  source: string;
}

export interface FeedImage {
  fingerprint: string;
  type: InstanceType;
  /** The product name, `os:release:arch:variant`, lowercase where it came from free text. */
  product: string;
  /** As the image says (`Ubuntu`), for the product's `os` field. */
  os: string;
  release: string;
  releaseTitle: string;
  /** Debian naming (amd64, arm64…), as feeds spell it; the image's own canonical name is `architecture`. */
  arch: string;
  architecture: string;
  variant: string;
  /** Starts with YYYYMMDD, sorts chronologically as a string. */
  version: string;
  /** The store's aliases of the image; a product's `aliases` are those of its newest version. */
  aliases: string[];
  properties: Record<string, string>;
  created_at: string;
  uploaded_at: string;
  /** LXD's expires_at; simplestreams' support_eol (a date) when set. */
  expires_at: string;
  /** metadata then rootfs, or the one unified file. */
  files: FeedFile[];
}

/** Debian's names for LXD's canonical architectures: simplestreams products use them. */
const DEBIAN_ARCH: Readonly<Record<string, string>> = {
  x86_64: 'amd64',
  i686: 'i386',
  aarch64: 'arm64',
  armv7l: 'armhf',
  armv6l: 'armel',
  ppc64le: 'ppc64el',
  ppc: 'powerpc',
  ppc64: 'ppc64',
  s390x: 's390x',
  mips: 'mipsel',
  mips64: 'mips64el',
  riscv64: 'riscv64',
};

export function debianArchitecture(canonical: string): string {
  return DEBIAN_ARCH[canonical] ?? canonical;
}

/** The tree file name of each root kind, and of the metadata tarball a split image of that kind carries. */
export const ROOT_NAMES: Readonly<Record<string, string>> = {squashfs: 'root.squashfs', tar: 'root.tar.xz', qcow2: 'disk.qcow2'};
const UNIFIED_NAME = 'lxd_combined.tar.gz';
const METADATA_NAME = 'lxd.tar.xz';
/** A second metadata tarball in one version is named for the root it goes with. */
const METADATA_TAG: Readonly<Record<string, string>> = {squashfs: 'squashfs', tar: 'rootxz', qcow2: 'kvm'};

/** A date-led serial (YYYYMMDD with a real calendar date) is a version key as it is. */
function dateLed(serial: string): boolean {
  const m = /^(\d{4})(\d{2})(\d{2})/.exec(serial);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

/** `serial` when it starts with a date, else created_at as YYYYMMDD_hhmm. */
export function versionKey(view: Pick<ImageView, 'properties' | 'created_at' | 'uploaded_at'>): string {
  const serial = view.properties.serial ?? '';
  if (dateLed(serial) && /^[\w.:+-]+$/.test(serial)) return serial;
  const at = isUnset(view.created_at) ? view.uploaded_at : view.created_at;
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(at);
  return m ? `${m[1]}${m[2]}${m[3]}_${m[4]}${m[5]}` : '19700101_0000';
}

/** A product-name or path segment: what is left after everything but [a-z0-9._+-] becomes "-". */
function segment(text: string): string {
  const s = text
    .toLowerCase()
    .replace(/[^a-z0-9._+-]+/g, '-')
    .replace(/^[.-]+|-+$/g, '');
  return s === '' ? '_' : s;
}

/** The os, release, Debian architecture and variant of an image as its product names them. */
function productFields(view: Pick<ImageView, 'properties' | 'fingerprint' | 'architecture'>): {os: string; release: string; arch: string; variant: string} {
  const p = view.properties;
  const named = Boolean(p.os && p.release);
  return {
    os: named ? p.os! : 'img',
    release: named ? p.release! : view.fingerprint.slice(0, 12),
    arch: debianArchitecture(view.architecture),
    variant: p.variant || 'default',
  };
}

/** The product an image is a version of (FeedImage.product), without describing the rest of it. */
export function productName(view: Pick<ImageView, 'properties' | 'fingerprint' | 'architecture'>): string {
  const {os, release, arch, variant} = productFields(view);
  return [segment(os), segment(release), segment(arch), segment(variant)].join(':');
}

/** The facts of a stored image as a FeedImage, files not yet named (feedImages names them). */
function describe(view: ImageView, filePath: (fp: string, role: FileRole) => string): FeedImage {
  const p = view.properties;
  const {os, release, arch, variant} = productFields(view);
  return {
    fingerprint: view.fingerprint,
    type: view.type,
    product: productName(view),
    os,
    release,
    releaseTitle: p.release_title || release,
    arch,
    architecture: view.architecture,
    variant,
    version: versionKey(view),
    aliases: view.aliases.map((a) => a.name).sort(),
    properties: p,
    created_at: view.created_at,
    uploaded_at: view.uploaded_at,
    expires_at: view.expires_at,
    files: view.files.map((f) => ({
      role: f.role,
      kind: f.kind,
      compression: f.compression,
      name: '',
      size: f.size,
      sha256: f.sha256 ?? '',
      ...(f.md5 ? {md5: f.md5} : {}),
      source: filePath(view.fingerprint, f.role),
    })),
  };
}

/** Root kinds in LXD's order of preference (simplestreams.md §3.1): it decides who gets the plain names. */
const KIND_ORDER = ['unified', 'squashfs', 'tar', 'qcow2'];
const kindOf = (image: FeedImage): string => (image.files.length === 1 ? 'unified' : (image.files[1]?.kind ?? 'tar'));

/**
 * The store's images as FeedImages, every file's sha256 known (the caller ensures them), named
 * and placed so that one version of a product never holds two roots of one kind: an image that
 * would is moved to the version key with `_2`, `_3`… appended (the later upload gets the suffix,
 * so keys still sort by time). Split images of one version share a metadata item when their
 * metadata tarballs are the same bytes, as distrobuilder's container and VM builds do.
 */
export function feedImages(views: readonly ImageView[], filePath: (fp: string, role: FileRole) => string): FeedImage[] {
  const images = views
    .map((v) => describe(v, filePath))
    .sort(
      (a, b) => cmp(a.uploaded_at, b.uploaded_at) || cmp(KIND_ORDER.indexOf(kindOf(a)), KIND_ORDER.indexOf(kindOf(b))) || cmp(a.fingerprint, b.fingerprint),
    );
  const taken = new Map<string, Map<string, string>>(); // product/version → kind → fingerprint
  const metadataNames = new Map<string, Map<string, string>>(); // product/version → metadata sha256 → name
  for (const image of images) {
    const kind = kindOf(image);
    const base = image.version;
    for (let n = 1; ; n++) {
      image.version = n === 1 ? base : `${base}_${n}`;
      const slot = taken.get(`${image.product}/${image.version}`) ?? new Map<string, string>();
      if (slot.has(kind)) continue;
      slot.set(kind, image.fingerprint);
      taken.set(`${image.product}/${image.version}`, slot);
      break;
    }
    const key = `${image.product}/${image.version}`;
    if (kind === 'unified') {
      image.files[0]!.name = UNIFIED_NAME;
      continue;
    }
    const [meta, root] = image.files as [FeedFile, FeedFile];
    root.name = ROOT_NAMES[root.kind] ?? `root.${root.kind}`;
    const names = metadataNames.get(key) ?? new Map<string, string>();
    metadataNames.set(key, names);
    const shared = names.get(meta.sha256);
    const taken2 = new Set(names.values());
    meta.name = shared ?? (taken2.has(METADATA_NAME) ? `lxd.${METADATA_TAG[root.kind] ?? root.kind}.tar.xz` : METADATA_NAME);
    names.set(meta.sha256, meta.name);
  }
  return images.sort((a, b) => cmp(a.product, b.product) || cmp(a.version, b.version) || cmp(a.fingerprint, b.fingerprint));
}

/**
 * Where a file lives in a static tree: `images/<its sha256>.<name>`, content-addressed in one
 * directory as incus-simplestreams lays trees out. A path then always holds the same bytes (web
 * caches and CDNs may keep it forever; a metadata file two versions share is one file), and an
 * export of 10,000 products makes no directory per version: on ext4 those mkdirs alone took 3 s
 * of an export's budget of 2 (bench/README.md).
 */
export function treePath(_image: FeedImage, file: FeedFile): string {
  return `images/${file.sha256}.${file.name}`;
}

/** The newest upload among the images, as a feed's `updated` (so an unchanged store gives the same bytes). */
export function newestUpload(images: readonly Pick<FeedImage, 'uploaded_at'>[]): string {
  return images.reduce((max, i) => (i.uploaded_at > max ? i.uploaded_at : max), '1970-01-01T00:00:00Z');
}

const cmp = (a: string | number, b: string | number): number => (a < b ? -1 : a > b ? 1 : 0);
