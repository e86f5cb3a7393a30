/**
 * The OpenStack flavour: `image-downloads` as glance-simplestreams-sync (sstream-mirror-glance,
 * python simplestreams' mirrors/glance.py) and Juju read them, shaped like cloud-images'
 * `com.ubuntu.cloud:released:download` (../shared/spec/simplestreams.md §8.1, §8.3a), plus an
 * `image-ids` stream for images whose cloud ids are known.
 *
 * Decisions, from what glance's mirror does with an item:
 * - Only a split virtual-machine image maps: its qcow2 disk becomes item `disk1.img` of ftype
 *   `disk1.img`, which glance's default filter (`ftype~(disk1.img|disk.img)`) picks and uploads with
 *   disk_format qcow2. A container has no disk to boot (nova-lxd, the one reader of root tarballs,
 *   is retired); a unified image's root sits inside a tarball beside metadata.yaml. Both are refused.
 * - `md5` beside `sha256`: glance compares the uploaded image's checksum with the item's md5.
 * - Product fields as cloud-images has them (`arch` in Debian names, lowercase `os`, `release`,
 *   `release_title`, `version`, comma-separated `aliases`); versions a `label` and the `pubname`
 *   glance names the uploaded image by (without one it names it "None").
 * - Names in img's own namespace: content ids `img.openstack:released:download` and
 *   `…:image-ids`, products `img.openstack:<os>:<release>:<arch>:<variant>`.
 * - image-ids: img uploads to no cloud, so an id exists only when the image says it has one, in
 *   properties `openstack.image_id`, `openstack.region` and `openstack.endpoint` (all three;
 *   optional `openstack.virt`, default kvm as glance writes for qcow2, `openstack.root_store`,
 *   `openstack.crsn`). Items carry them as glance's own image-ids do (endpoint and region on the
 *   item, where Juju looks) and have no `path`: nothing to download. With no ids, no document.
 */
import type {FeedImage} from '../feed.js';
import type {FeedDocument, Flavor, FlavorContext} from './flavor.js';
import {productsOf, rootOf, supportEol, versionOf, type Obj} from './shared.js';

const DOWNLOAD = 'img.openstack:released:download';
const IMAGE_IDS = 'img.openstack:released:image-ids';
const ITEM = 'disk1.img';
const REQUIRED_IDS = ['openstack.image_id', 'openstack.region', 'openstack.endpoint'] as const;
const OPTIONAL_IDS: Readonly<Record<string, string>> = {'openstack.root_store': 'root_store', 'openstack.crsn': 'crsn'};

const productName = (image: FeedImage): string => `img.openstack:${image.product}`;
const hasIds = (image: FeedImage): boolean => REQUIRED_IDS.every((k) => image.properties[k]);

function productFields(image: FeedImage, sameVersion: readonly FeedImage[]): Obj {
  const aliases = [...new Set(sameVersion.flatMap((i) => i.aliases))].filter((a) => !a.includes(',')).sort();
  return {
    ...(aliases.length > 0 ? {aliases: aliases.join(',')} : {}),
    arch: image.arch,
    os: image.os.toLowerCase(),
    release: image.release,
    ...(image.properties.release_codename ? {release_codename: image.properties.release_codename} : {}),
    release_title: image.releaseTitle,
    ...supportEol(image),
    variant: image.variant,
    version: versionOf(image),
  };
}

const versionFields = (image: FeedImage): Obj => ({label: 'release', pubname: `${image.product.replaceAll(':', '-')}-${image.version}`});

function download(image: FeedImage, ctx: FlavorContext): {fields: Obj; items: Obj} {
  const disk = rootOf(image)!;
  return {fields: versionFields(image), items: {[ITEM]: {ftype: ITEM, md5: disk.md5, path: ctx.pathOf(image, disk), sha256: disk.sha256, size: disk.size}}};
}

function imageIds(image: FeedImage): {fields: Obj; items: Obj} {
  const disk = rootOf(image)!;
  const p = image.properties;
  const optional = Object.entries(OPTIONAL_IDS).filter(([k]) => p[k]);
  const item: Obj = {
    endpoint: p['openstack.endpoint'],
    ftype: ITEM,
    id: p['openstack.image_id'],
    md5: disk.md5,
    region: p['openstack.region'],
    sha256: disk.sha256,
    size: disk.size,
    virt: p['openstack.virt'] || 'kvm',
    ...Object.fromEntries(optional.map(([k, field]) => [field, p[k]])),
  };
  return {fields: versionFields(image), items: {[ITEM]: item}};
}

const products = (images: readonly FeedImage[], version: (image: FeedImage) => {fields: Obj; items: Obj}): Obj =>
  productsOf(images, productName, productFields, version);

function document(contentId: string, datatype: string, updated: string, products: Obj): FeedDocument {
  return {
    contentId,
    datatype,
    path: `streams/v1/${contentId}.json`,
    doc: {content_id: contentId, datatype, format: 'products:1.0', products, updated},
  };
}

export const openstackFlavor: Flavor = {
  name: 'openstack',
  summary: `openstack: OpenStack/Juju image-downloads (streams/v1/${DOWNLOAD}.json: the qcow2 disk as item disk1.img with md5) and, for images with openstack.image_id/region/endpoint properties, image-ids; containers and unified images cannot be expressed (glance takes only a bare disk image)`,
  needsMd5: true,
  refuse(image) {
    const root = rootOf(image);
    if (!root)
      return 'a unified image keeps its root inside a tarball beside metadata.yaml; glance takes only a bare disk image (a split virtual-machine image)';
    if (root.kind !== 'qcow2')
      return `a ${image.type} with a ${root.kind} root has no disk image: OpenStack boots disks, and glance-simplestreams-sync takes only items of ftype disk1.img`;
    if (!root.md5) return "its disk's md5 is not known (glance checks the upload against it)";
    const given = REQUIRED_IDS.filter((k) => image.properties[k]);
    if (given.length > 0 && given.length < REQUIRED_IDS.length) return `image-ids need all of ${REQUIRED_IDS.join(', ')}; it has only ${given.join(', ')}`;
    return undefined;
  },
  documents(images, ctx): FeedDocument[] {
    const docs = [
      document(
        DOWNLOAD,
        'image-downloads',
        ctx.updated,
        products(images, (i) => download(i, ctx)),
      ),
    ];
    const withIds = images.filter(hasIds);
    if (withIds.length > 0) docs.push(document(IMAGE_IDS, 'image-ids', ctx.updated, products(withIds, imageIds)));
    return docs;
  },
};
