/**
 * A simplestreams products file (products:1.0) read the way LXD 5.0.2 reads it: the images it
 * yields, with the files a downloader fetches and the aliases they publish
 * (../shared/spec/simplestreams.md §2, Incus ftypes §8.4). Pure: the caller fetches the JSON.
 *
 * The JSON comes from strangers, so every value is checked for shape. Anything malformed (a
 * product, version or item of the wrong shape, an unsafe path, a bad size or digest) is skipped
 * and reported in `skipped` rather than thrown: one bad entry must not hide a whole remote, and
 * LXD itself skips silently what it cannot read.
 */
import type {FileRole, InstanceType} from '../image/types.js';
import {canonicalArchitecture} from '../image/architectures.js';
import {generateAliases} from './aliases.js';
import type {Skipped, StreamFile, StreamImage, StreamSet} from './types.js';

export type {Skipped, StreamAlias, StreamFile, StreamImage, StreamSet} from './types.js';

/** Root ftypes, with the metadata field holding the combined (meta ‖ root) hash: §2.3. */
const ROOTS: Readonly<Record<string, {field: string; fallback?: string; type: InstanceType}>> = {
  squashfs: {field: 'combined_squashfs_sha256', type: 'container'},
  'root.tar.xz': {field: 'combined_rootxz_sha256', fallback: 'combined_sha256', type: 'container'},
  'disk-kvm.img': {field: 'combined_disk-kvm-img_sha256', type: 'virtual-machine'},
  'disk1.img': {field: 'combined_disk1-img_sha256', type: 'virtual-machine'},
  'uefi1.img': {field: 'combined_uefi1-img_sha256', type: 'virtual-machine'},
};
// Incus renamed the metadata and unified ftypes; the files themselves are the same.
const METADATA = new Set(['lxd.tar.xz', 'incus.tar.xz']);
const COMBINED = new Set(['lxd_combined.tar.gz', 'incus_combined.tar.gz']);
const PRODUCT_STRINGS = ['arch', 'os', 'release', 'release_title', 'version', 'aliases', 'variant', 'support_eol'] as const;
const EPOCH = '1970-01-01T00:00:00Z';
const SHA256 = /^[0-9a-fA-F]{64}$/;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (o: Obj, k: string): string => (typeof o[k] === 'string' ? (o[k] as string) : '');

/** Go's time.Parse for the layouts LXD uses: exact digits, real calendar dates, else undefined. */
function parseDate(text: string, re: RegExp): string | undefined {
  const m = re.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
  return `${m[1]}-${m[2]}-${m[3]}T00:00:00Z`;
}

/** A path relative to the base URL that cannot leave it: no scheme, no leading "/", no ".." segment. */
export function safeItemPath(path: string): boolean {
  if (path === '' || path.startsWith('/') || path.startsWith('\\') || /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(path)) return false;
  // Backslashes and percent-encoded dots are refused too: some URL joiners and servers decode them into "..".
  if (path.includes('\\') || /%2e/i.test(path) || [...path].some((c) => c.charCodeAt(0) < 0x20)) return false;
  return !path.split('/').some((s) => s === '..' || s === '.');
}

interface Item {
  name: string;
  ftype: string;
  raw: Obj;
  file?: StreamFile;
  problem?: string;
}

/** Checks an item's download fields; a bad one keeps its problem, so only the images that need it are dropped. */
function readItem(name: string, raw: Obj, role: FileRole): Item {
  const item: Item = {name, ftype: raw.ftype as string, raw};
  const {path, size, sha256} = raw;
  if (typeof path !== 'string' || path === '') item.problem = 'missing path';
  else if (!safeItemPath(path)) item.problem = `unsafe path ${JSON.stringify(path)}`;
  else if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) item.problem = 'size is not a non-negative integer';
  else if (typeof sha256 !== 'string' || !SHA256.test(sha256)) item.problem = 'sha256 is not 64 hex digits';
  else item.file = {role, ftype: item.ftype, path, size, sha256: sha256.toLowerCase()};
  return item;
}

/** Every key is optional, but a present key of the wrong type makes the whole object unreadable (as it would for Go's decoder). */
function wellTyped(o: Obj, strings: readonly string[]): boolean {
  return strings.every((k) => o[k] === undefined || typeof o[k] === 'string');
}

export function parseProducts(json: unknown, opts: {remoteUrl?: string} = {}): StreamSet {
  const images: StreamImage[] = [];
  const skipped: Skipped[] = [];
  const products = isObj(json) ? json.products : undefined;
  if (!isObj(products)) return {images, aliases: [], skipped: [{reason: 'not a products file: no "products" map'}]};
  for (const [product, p] of Object.entries(products)) {
    const skip = (reason: string, version?: string, item?: string): void => {
      skipped.push({product, ...(version === undefined ? {} : {version}), ...(item === undefined ? {} : {item}), reason});
    };
    if (!isObj(p) || !wellTyped(p, PRODUCT_STRINGS) || !isObj(p.versions)) {
      skip('product is not an object with string fields and a "versions" map');
      continue;
    }
    const reqs = p.lxd_requirements ?? {};
    if (!isObj(reqs) || !Object.values(reqs).every((v) => typeof v === 'string')) {
      skip('lxd_requirements is not a map of strings');
      continue;
    }
    const arch = canonicalArchitecture(str(p, 'arch'));
    if (arch === undefined) {
      skip(`unknown architecture ${JSON.stringify(str(p, 'arch'))}`);
      continue;
    }
    const expires = parseDate(str(p, 'support_eol'), /^(\d{4})-(\d{2})-(\d{2})$/) ?? EPOCH;
    for (const [version, v] of Object.entries(p.versions)) {
      const created = parseDate(version.slice(0, 8), /^(\d{4})(\d{2})(\d{2})$/);
      if (created === undefined) {
        skip('version key does not start with YYYYMMDD', version);
        continue;
      }
      if (!isObj(v) || !wellTyped(v, ['label']) || !isObj(v.items)) {
        skip('version is not an object with an "items" map', version);
        continue;
      }
      const metas: Item[] = [];
      const roots: Item[] = [];
      const combined: Item[] = [];
      for (const [name, raw] of Object.entries(v.items)) {
        if (!isObj(raw) || typeof raw.ftype !== 'string') {
          skip('item is not an object with a string ftype', version, name);
          continue;
        }
        const ftype = raw.ftype;
        const list = METADATA.has(ftype) ? metas : ftype in ROOTS ? roots : COMBINED.has(ftype) ? combined : undefined;
        if (list) list.push(readItem(name, raw, list === metas ? 'metadata' : list === roots ? 'rootfs' : 'unified'));
      }
      const base = {
        architecture: arch,
        public: true as const,
        created_at: created,
        uploaded_at: created,
        expires_at: expires,
        product,
        version,
        productAliases: str(p, 'aliases') === '' ? [] : str(p, 'aliases').split(','),
      };
      const props = (type: string): Record<string, string> => {
        const label = str(v, 'label');
        const all: Record<string, string> = {
          os: str(p, 'os'),
          release: str(p, 'release'),
          version: str(p, 'version'),
          architecture: str(p, 'arch'),
          label,
          serial: version,
          description: `${str(p, 'os')} ${str(p, 'release_title')} ${str(p, 'arch')}${label ? ` (${label})` : ''} (${version})`,
          type,
          variant: str(p, 'variant'),
        };
        for (const [k, val] of Object.entries(reqs)) all[`requirements.${k}`] = val as string;
        return Object.fromEntries(Object.entries(all).filter(([, val]) => val !== ''));
      };
      const add = (files: Item[], fingerprint: unknown, type: InstanceType, propType: string): void => {
        const where = files.map((f) => f.name).join(' + ');
        const bad = files.find((f) => f.file === undefined);
        if (bad) return skip(bad.problem!, version, where);
        // An empty fingerprint drops the image silently in LXD; a malformed one would name a store directory, so it goes too.
        if (typeof fingerprint !== 'string' || !SHA256.test(fingerprint)) return skip('no valid fingerprint', version, where);
        const fileList = files.map((f) => f.file!);
        const size = fileList.reduce((n, f) => n + f.size, 0);
        if (!Number.isSafeInteger(size)) return skip('total size is too large', version, where);
        images.push({
          ...base,
          fingerprint: fingerprint.toLowerCase(),
          type,
          size,
          filename: fileList[0]!.path.split('/').pop()!,
          properties: props(propType),
          files: fileList,
        });
      };
      for (const c of combined) {
        // combined_type is Incus's; LXD 5.0.2 has no other way to say a unified tarball holds a VM.
        add([c], c.raw.sha256, c.raw.combined_type === 'virtual-machine' ? 'virtual-machine' : 'container', 'tar.gz');
      }
      for (const m of metas) {
        for (const r of roots) {
          const rule = ROOTS[r.ftype]!;
          const primary = m.raw[rule.field];
          const fp = rule.fallback !== undefined && (primary === undefined || primary === '') ? m.raw[rule.fallback] : primary;
          add([m, r], fp, rule.type, r.ftype);
        }
      }
    }
  }
  return {images, aliases: generateAliases(images, opts.remoteUrl), skipped};
}
