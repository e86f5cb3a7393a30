/**
 * What the OpenStack and MAAS flavours read of a FeedImage alike: its root file, the newest image
 * of each product (whose fields describe the product, as in the LXD flavour), its support end.
 */
import {EPOCH, isUnset} from '../../time.js';
import type {FeedFile, FeedImage} from '../feed.js';

export type Obj = Record<string, unknown>;

/** The root of a split image; undefined for a unified one. */
export const rootOf = (image: FeedImage): FeedFile | undefined => (image.files.length === 2 ? image.files[1] : undefined);

/** `support_eol` (a date) when the image expires; simplestreams products carry it as cloud-images do. */
export function supportEol(image: FeedImage): Obj {
  return !isUnset(image.expires_at) && image.expires_at !== EPOCH ? {support_eol: image.expires_at.slice(0, 10)} : {};
}

/** `version` as cloud-images and MAAS spell it (`22.04`): the image's version property, else its release. */
export const versionOf = (image: FeedImage): string => image.properties.version || image.release;

/** The newer of two images of one product: the later version; in one version, the one with more aliases. */
const newer = (a: FeedImage, b: FeedImage): boolean => a.version > b.version || (a.version === b.version && a.aliases.length > b.aliases.length);

/**
 * Products by name, each from the fields of its newest image (and that version's other images, for
 * aliases), its versions' fields and items from `version`, in one pass over the images.
 */
export function productsOf(
  images: readonly FeedImage[],
  productOf: (image: FeedImage) => string,
  fields: (newest: FeedImage, sameVersion: readonly FeedImage[]) => Obj,
  version: (image: FeedImage) => {fields: Obj; items: Obj},
): Obj {
  const groups = new Map<string, FeedImage[]>();
  for (const image of images) {
    const name = productOf(image);
    const group = groups.get(name);
    if (group) group.push(image);
    else groups.set(name, [image]);
  }
  const products: Obj = {};
  for (const name of [...groups.keys()].sort()) {
    const mine = groups.get(name)!;
    const top = mine.reduce((a, b) => (newer(b, a) ? b : a));
    const versions: Record<string, {items: Obj}> = {};
    for (const image of mine) {
      const v = version(image);
      Object.assign((versions[image.version] ??= {...v.fields, items: {}}).items, v.items);
    }
    products[name] = {
      ...fields(
        top,
        mine.filter((i) => i.version === top.version),
      ),
      versions,
    };
  }
  return products;
}
