/**
 * The LXD flavour: `image-downloads` as LXD 5.0.2 and Incus read it (../shared/spec/
 * simplestreams.md §2 and the checklist of §5): product fields at product level, item fields at
 * item level (LXD does no inheritance), `squashfs` as the squashfs root's ftype, the combined
 * meta ‖ root hash on the metadata item, aliases as one comma-separated string.
 */
import {EPOCH, isUnset} from '../../time.js';
import type {FeedImage} from '../feed.js';
import type {FeedDocument, Flavor, FlavorContext} from './flavor.js';

const ROOT_FTYPE: Readonly<Record<string, {ftype: string; combined: string}>> = {
  squashfs: {ftype: 'squashfs', combined: 'combined_squashfs_sha256'},
  // LXD 5.0.2 reads combined_rootxz_sha256 and falls back to combined_sha256; older readers know only the latter.
  tar: {ftype: 'root.tar.xz', combined: 'combined_rootxz_sha256'},
  qcow2: {ftype: 'disk-kvm.img', combined: 'combined_disk-kvm-img_sha256'},
};

type Obj = Record<string, unknown>;

function product(image: FeedImage): Obj {
  const requirements = Object.entries(image.properties).filter(([k]) => k.startsWith('requirements.'));
  return {
    arch: image.arch,
    os: image.os,
    release: image.release,
    release_title: image.releaseTitle,
    variant: image.variant,
    ...(image.properties.version ? {version: image.properties.version} : {}),
    ...(image.properties.release_codename ? {release_codename: image.properties.release_codename} : {}),
    ...(!isUnset(image.expires_at) && image.expires_at !== EPOCH ? {support_eol: image.expires_at.slice(0, 10)} : {}),
    ...(requirements.length > 0 ? {lxd_requirements: Object.fromEntries(requirements.map(([k, v]) => [k.slice('requirements.'.length), v]))} : {}),
    versions: {},
  };
}

/** The items one image adds to its version (a shared metadata item gains one more combined hash). */
function addItems(items: Record<string, Obj>, image: FeedImage, ctx: FlavorContext): void {
  const file = (f: FeedImage['files'][number], ftype: string): Obj => ({ftype, path: ctx.pathOf(image, f), sha256: f.sha256, size: f.size});
  if (image.files.length === 1) {
    const [unified] = image.files as [FeedImage['files'][number]];
    items[unified.name] = file(unified, 'lxd_combined.tar.gz');
    return;
  }
  const [meta, root] = image.files as [FeedImage['files'][number], FeedImage['files'][number]];
  const kind = ROOT_FTYPE[root.kind]!;
  items[root.name] = file(root, kind.ftype);
  const item = (items[meta.name] ??= file(meta, 'lxd.tar.xz'));
  item[kind.combined] = image.fingerprint;
  if (root.kind === 'tar') item.combined_sha256 = image.fingerprint;
}

export const lxdFlavor: Flavor = {
  name: 'lxd',
  summary:
    'lxd: LXD/Incus image-downloads (streams/v1/images.json); a unified virtual-machine image cannot be expressed (LXD 5.0.2 reads every unified image as a container)',
  needsMd5: false,
  refuse(image) {
    if (image.files.length === 1 && image.type === 'virtual-machine')
      return 'a unified virtual-machine image cannot be expressed in an LXD feed (LXD 5.0.2 reads a unified item as a container)';
    if (image.files.length === 2 && !ROOT_FTYPE[image.files[1]!.kind]) return `LXD feeds have no item for a ${image.files[1]!.kind} root`;
    return undefined;
  },
  documents(images, ctx): FeedDocument[] {
    const products: Record<string, Obj> = {};
    const newest = new Map<string, FeedImage>();
    const byVersion = new Map<string, FeedImage[]>();
    for (const image of images) {
      const p = (products[image.product] ??= product(image));
      const versions = p.versions as Record<string, {items: Record<string, Obj>}>;
      addItems((versions[image.version] ??= {items: {}}).items, image, ctx);
      const key = `${image.product}\0${image.version}`;
      byVersion.set(key, [...(byVersion.get(key) ?? []), image]);
      const n = newest.get(image.product);
      if (!n || image.version > n.version || (image.version === n.version && image.aliases.length > n.aliases.length)) newest.set(image.product, image);
    }
    for (const [name, image] of newest) {
      // The newest version's product fields win: an older image must not describe the product.
      Object.assign(products[name]!, {...product(image), versions: products[name]!.versions});
      const aliases = [...new Set(byVersion.get(`${name}\0${image.version}`)?.flatMap((i) => i.aliases))].sort();
      // One comma-separated string (LXD splits on commas): a name with a comma in it cannot be said.
      const names = aliases.filter((a) => !a.includes(','));
      if (names.length > 0) products[name]!.aliases = names.join(',');
    }
    return [
      {
        contentId: 'images',
        datatype: 'image-downloads',
        path: 'streams/v1/images.json',
        doc: {content_id: 'images', datatype: 'image-downloads', format: 'products:1.0', updated: ctx.updated, products},
      },
    ];
  },
};
