/**
 * The MAAS flavour: boot-resource products as MAAS's importer reads them (../shared/spec/
 * simplestreams.md §8.3, §8.3a; maasserver import_images download_descriptions.py and
 * bootresources.py), shaped like images.maas.io's non-Ubuntu stream
 * (`com.ubuntu.maas:stable:centos-bases-download`).
 *
 * Decisions, from what MAAS does with a synced resource:
 * - A root tarball maps, as a custom image: MAAS deploys one by unpacking it onto the disk (curtin,
 *   from the commissioning environment, with MAAS's own kernel), picking the file by its name in
 *   the resource: `root-tgz`, `root-txz` or `root-tbz` by compression. So the item's ftype is that
 *   name and its path ends in it: `<sha256>/root-txz` beside where the tree keeps the root (the same
 *   bytes as the LXD item; a directory per content, so a path keeps meaning the same bytes).
 * - `os` is `custom`: the one MAAS OS driver that takes any distribution's root tarball (the
 *   centos, rhel… drivers know their own release names, and an `os` containing "ubuntu" would need
 *   a `:v3:` product with boot-kernel and boot-initrd). The distribution goes into `release`
 *   (`<os>-<release>`, `-<variant>` unless default) so MAAS keeps variants apart, and into
 *   `release_title`. `arch` in Debian names; `subarch`/`subarches` `generic`, `kflavor` `generic`
 *   (LXD images carry no kernel to be specific about); `label` `stable` (MAAS's default selection);
 *   `version` as the image says.
 * - Refused: a squashfs root (MAAS deploys squashfs only for Ubuntu, booting the boot-kernel and
 *   boot-initrd of the same resource, which LXD images do not have), a qcow2 disk (MAAS writes disk
 *   images raw, `root-dd*`; img does not convert), a unified image (its tarball holds metadata.yaml
 *   and templates/ beside rootfs/, not a root), a tarball compressed otherwise than gzip/xz/bzip2.
 * - datatype `image-ids`, as images.maas.io's index says of its download streams (MAAS never
 *   checks it, LXD and glance skip it). MAAS reads every document an index names and needs `label`
 *   on each item, so point its boot source at this products file (a URL ending in .json, or .sjson
 *   when signed), not at a tree's index that also holds other flavours.
 * - Items carry `sha256` and `size` themselves: MAAS's downloader reads them from the item.
 */
import {posix} from 'node:path';
import type {FeedImage} from '../feed.js';
import type {FeedDocument, Flavor} from './flavor.js';
import {productsOf, rootOf, supportEol, versionOf, type Obj} from './shared.js';

const CONTENT_ID = 'img.maas:stable:custom-download';
const LABEL = 'stable';
const TARBALL_FTYPE: Readonly<Record<string, string>> = {gzip: 'root-tgz', xz: 'root-txz', bzip2: 'root-tbz'};

/** MAAS's release of the image: distribution, release and (unless default) variant, as one name. */
const maasRelease = (image: FeedImage): string => {
  const [os, release, , variant] = image.product.split(':') as [string, string, string, string];
  return [os, release, ...(variant === 'default' ? [] : [variant])].join('-');
};
const productName = (image: FeedImage): string => `img.maas.${LABEL}:custom:${maasRelease(image)}:${image.arch}`;
const ftypeOf = (image: FeedImage): string => TARBALL_FTYPE[rootOf(image)!.compression ?? '']!;

function productFields(image: FeedImage): Obj {
  return {
    arch: image.arch,
    kflavor: 'generic',
    label: LABEL,
    os: 'custom',
    release: maasRelease(image),
    release_title: `${image.os} ${image.releaseTitle}${image.variant === 'default' ? '' : ` (${image.variant})`}`,
    subarch: 'generic',
    subarches: 'generic',
    ...supportEol(image),
    version: versionOf(image),
  };
}

export const maasFlavor: Flavor = {
  name: 'maas',
  summary: `maas: MAAS custom boot resources (streams/v1/${CONTENT_ID}.json: a root tarball as root-tgz/root-txz/root-tbz; point MAAS at that file); squashfs roots, qcow2 disks and unified images cannot be expressed (MAAS boots squashfs only as Ubuntu with its kernel, writes disks only raw)`,
  needsMd5: false,
  refuse(image) {
    const root = rootOf(image);
    if (!root) return 'a unified image is no root tarball (metadata.yaml and templates/ sit beside rootfs/); MAAS would unpack all of it onto the disk';
    if (root.kind === 'squashfs')
      return 'MAAS deploys a squashfs root only as an Ubuntu image booted with its own boot-kernel and boot-initrd, which LXD images do not carry';
    if (root.kind === 'qcow2') return 'MAAS writes disk images raw (root-dd) and cannot take a qcow2 disk; img does not convert it';
    if (!TARBALL_FTYPE[root.compression ?? '']) return `MAAS has no root tarball ftype for ${root.compression ?? 'unknown'} compression (only gzip, xz, bzip2)`;
    return undefined;
  },
  documents(images, ctx): FeedDocument[] {
    const products = productsOf(images, productName, productFields, (image) => {
      const root = rootOf(image)!;
      const ftype = ftypeOf(image);
      // MAAS finds the root by its file name, the last segment of the path.
      const path = posix.join(posix.dirname(ctx.pathOf(image, root)), root.sha256, ftype);
      return {fields: {}, items: {[ftype]: {ftype, path, sha256: root.sha256, size: root.size}}};
    });
    return [
      {
        contentId: CONTENT_ID,
        datatype: 'image-ids',
        path: `streams/v1/${CONTENT_ID}.json`,
        doc: {content_id: CONTENT_ID, datatype: 'image-ids', format: 'products:1.0', products, updated: ctx.updated},
      },
    ];
  },
};
