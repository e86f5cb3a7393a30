// What the real readers of OpenStack and MAAS trees take from a products document, written after
// their Python (python simplestreams util.py, filters.py, mirrors/__init__.py and mirrors/glance.py;
// MAAS maasserver/import_images/download_descriptions.py and bootresources.py, and its OS drivers'
// file-type tables), so that the tests assert what those readers read, not what img meant to write.
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const objects = (v: unknown): Array<[string, Obj]> => (isObj(v) ? Object.entries(v).filter((e): e is [string, Obj] => isObj(e[1])) : []);

export type Flat = Record<string, string>;

/** util.stringitems: the scalars of one level, numbers (and Python's bools, ints too) as str() prints them. */
function stringItems(o: Obj): Flat {
  const out: Flat = {};
  for (const [k, v] of Object.entries(o)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number') out[k] = String(v);
    else if (typeof v === 'boolean') out[k] = v ? 'True' : 'False';
  }
  return out;
}

export interface FlatItem {
  pedigree: [string, string, string];
  /** util.products_exdata(tree, pedigree): every level's scalars, later wins, plus the *_name fields. */
  flat: Flat;
  /** The item object itself. */
  raw: Obj;
}

/**
 * The items a BasicMirrorWriter with `max_items` inserts (util.resolve_work: version keys sorted
 * as strings, greatest first), every item of them, flattened.
 */
export function mirroredItems(doc: Obj, maxItems?: number): FlatItem[] {
  const out: FlatItem[] = [];
  const top = stringItems(doc);
  for (const [product, p] of objects(doc.products)) {
    const versions = objects(p.versions).sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0));
    for (const [version, v] of versions.slice(0, maxItems ?? versions.length)) {
      for (const [item, i] of objects(v.items)) {
        const flat = {...top, ...stringItems(p), product_name: product, ...stringItems(v), version_name: version, ...stringItems(i), item_name: item};
        out.push({pedigree: [product, version, item], flat, raw: i});
      }
    }
  }
  return out;
}

/** filters.ItemFilter: `key=value`, `key!=value`, `key~regex` (re.search), `key!~regex`; a missing key reads as "". */
export function itemFilter(expr: string): (flat: Flat) => boolean {
  const m = /^([\w|-]+) *(!?[=~]) *(.*?) *$/.exec(expr);
  if (!m) throw new Error(`Unable to parse expression ${expr}`);
  const [, key, op, value] = m as unknown as [string, string, string, string];
  const test = op.endsWith('=') ? (s: string) => s === value : (s: string) => new RegExp(value).test(s);
  return (flat) => test(flat[key] ?? '') === !op.startsWith('!');
}

/** glance.py's defaults, and the charm's release filter (glance-simplestreams-sync config.yaml `mirror_list`). */
export const GLANCE_INDEX_FILTERS = ['datatype=image-downloads'];
export const GLANCE_ITEM_FILTERS = ['ftype~(disk1.img|disk.img)', 'arch~(x86_64|amd64|i386)'];
export const CHARM_ITEM_FILTERS = ['release~(trusty|xenial|bionic|focal|jammy)', 'arch~(x86_64|amd64)', 'ftype~(disk1.img|disk.img)'];

const CANONICAL_ARCH: Readonly<Record<string, string>> = {amd64: 'x86_64', i386: 'i686', ppc64el: 'ppc64le', powerpc: 'ppc', armhf: 'armv7l', arm64: 'aarch64'};
const DISK_FORMAT: Readonly<Record<string, string>> = {
  'root.tar.gz': 'root-tar',
  'root.tar.xz': 'root-tar',
  squashfs: 'squashfs',
  'disk.img': 'qcow2',
  'disk1.img': 'qcow2',
};

/** What GlanceMirror._insert_item creates in glance for one item, and what it checks the upload against. */
export interface GlanceUpload {
  name: string;
  disk_format: string;
  /** validate_image compares the uploaded bytes' md5 and size with these. */
  checksum: string | undefined;
  size: number;
  properties: Flat;
  /** Where the mirror reader downloads the bytes from, and the sha256 it checks them against. */
  path: string;
  sha256: string | undefined;
}

/** GlanceMirror over one index: entries passing the index filters, newest `max` versions, items passing the item filters. */
export function glanceUploads(
  index: Obj,
  docs: ReadonlyMap<string, Obj>,
  opts: {itemFilters?: string[]; max?: number; namePrefix?: string} = {},
): GlanceUpload[] {
  const indexFilters = GLANCE_INDEX_FILTERS.map(itemFilter);
  const itemFilters = (opts.itemFilters ?? GLANCE_ITEM_FILTERS).map(itemFilter);
  const out: GlanceUpload[] = [];
  for (const [, entry] of objects(index.index)) {
    if (!indexFilters.every((f) => f(stringItems(entry)))) continue;
    const doc = docs.get(String(entry.path));
    if (!doc) throw new Error(`index names ${String(entry.path)}, which is not there`);
    for (const {flat} of mirroredItems(doc, opts.max)) {
      if (!itemFilters.every((f) => f(flat))) continue;
      let name = `${opts.namePrefix ?? ''}${flat.pubname ?? flat.name ?? 'None'}`;
      if (!name.endsWith(flat.item_name!)) name += `-${flat.item_name}`;
      const properties: Flat = {
        source_content_id: flat.content_id ?? '',
        product_name: flat.product_name!,
        version_name: flat.version_name!,
        item_name: flat.item_name!,
        os_distro: flat.os ?? 'None',
        os_version: flat.version ?? 'None',
        ...(flat.arch ? {architecture: CANONICAL_ARCH[flat.arch.toLowerCase()] ?? flat.arch.toLowerCase()} : {}),
      };
      out.push({
        name,
        disk_format: (flat.ftype && DISK_FORMAT[flat.ftype.toLowerCase()]) || 'qcow2',
        checksum: flat.md5,
        size: Number(flat.size),
        properties,
        path: flat.path ?? '',
        sha256: flat.sha256,
      });
    }
  }
  return out;
}

/** maasserver.enum BOOT_RESOURCE_FILE_TYPE: the ftypes BootResourceRepoWriter does not skip as unknown. */
export const MAAS_FILE_TYPES = new Set([
  ...['root-tgz', 'root-tbz', 'root-txz', 'root-dd', 'root-dd.tar', 'root-dd.raw', 'root-dd.bz2', 'root-dd.gz', 'root-dd.xz'],
  ...['root-dd.tar.bz2', 'root-dd.tar.xz', 'root-image.gz', 'squashfs', 'boot-kernel', 'boot-initrd', 'boot-dtb', 'archive.tar.xz'],
]);
/** CustomOS.get_xinstall_parameters: the file names it deploys from (tgz=True, dd=True), and how. */
export const CUSTOM_OS_XINSTALL: Readonly<Record<string, string>> = {
  ...{'root-tgz': 'tgz', 'root-txz': 'txz', 'root-tbz': 'tbz', 'root.tgz': 'tgz', 'root.txz': 'txz', 'root.tbz': 'tbz'},
  ...{'root-dd': 'dd-tgz', 'root-dd.tar': 'dd-tar', 'root-dd.raw': 'dd-raw', 'root-dd.bz2': 'dd-bz2', 'root-dd.gz': 'dd-gz', 'root-dd.xz': 'dd-xz'},
  ...{'root-dd.tar.bz2': 'dd-tbz', 'root-dd.tar.xz': 'dd-txz'},
};

/** One file of a synced boot resource, as BootResourceStore.insert records it. */
export interface MaasFile {
  /** BootResource.name `<os>/<series>` and architecture `<arch>/<subarch>`. */
  resource: string;
  architecture: string;
  kflavor: string;
  /** BootResourceSet: version and label. */
  version: string;
  label: string;
  /** BootResourceFile: filename is the path's last segment, which the OS driver looks the root up by. */
  filename: string;
  filetype: string;
  sha256: string;
  size: number;
  path: string;
  subarches: string;
}

const UBUNTU_NAME = /.*:v([23]|3\+platform):.*/i;

/**
 * MAAS's import of one products document: RepoDumper (validate_product, arch, release, label,
 * subarches, kflavor; newest version only) then BootResourceRepoWriter (known ftypes) and
 * BootResourceStore (resource, set and file). Throws where MAAS's code would raise (a KeyError).
 */
export function maasImport(doc: Obj): {files: MaasFile[]; ignored: string[]} {
  const files: MaasFile[] = [];
  const ignored: string[] = [];
  for (const {pedigree, flat, raw} of mirroredItems(doc, 1)) {
    const need = (k: string): string => {
      if (flat[k] === undefined) throw new Error(`KeyError: '${k}' in ${pedigree.join('/')}`);
      return flat[k];
    };
    const os = flat.os ?? 'ubuntu';
    if (os.toLowerCase().includes('ubuntu') && os !== 'ubuntu-core' && !UBUNTU_NAME.test(pedigree[0])) {
      ignored.push(`Ignoring unsupported product ${pedigree[0]}`);
      continue;
    }
    const [arch, release, label] = [need('arch'), need('release'), need('label')];
    const ftype = need('ftype');
    if (!MAAS_FILE_TYPES.has(ftype)) {
      ignored.push(`Ignoring unsupported filetype(${ftype}) from ${pedigree[0]} ${pedigree[1]}`);
      continue;
    }
    // The downloader reads sha256 and size from the item itself.
    if (typeof raw.sha256 !== 'string' || typeof raw.size !== 'number') throw new Error(`KeyError: sha256/size not on item ${pedigree.join('/')}`);
    const path = need('path');
    files.push({
      resource: `${os}/${release}`,
      architecture: `${arch}/${flat.subarch ?? 'generic'}`,
      kflavor: flat.kflavor ?? 'generic',
      version: pedigree[1],
      label,
      filename: path.split('/').at(-1)!,
      filetype: ftype,
      sha256: raw.sha256,
      size: raw.size,
      path,
      subarches: flat.subarches ?? 'generic',
    });
  }
  return {files, ignored};
}
