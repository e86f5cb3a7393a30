/**
 * The aliases LXD 5.0.2 derives from a feed's products, and how it resolves a name against them
 * and the images' fingerprints (../shared/spec/simplestreams.md §3).
 */
import {UserError} from '../errors.js';
import {canonicalArchitecture, personalities} from '../image/architectures.js';
import type {InstanceType} from '../image/types.js';
import type {StreamAlias, StreamImage} from './types.js';

/** Root ftypes in LXD's order of preference: the first registered alias wins, so squashfs beats root.tar.xz. */
const ROOT_RANK = ['squashfs', 'root.tar.xz', 'disk-kvm.img', 'uefi1.img', 'disk1.img'];

/** Go compares strings bytewise (UTF-8); JS's < compares UTF-16 units, which differs beyond the BMP. */
function goCompare(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

function rootRank(image: StreamImage): number {
  const root = image.files.find((f) => f.role === 'rootfs');
  const i = root ? ROOT_RANK.indexOf(root.ftype) : -1;
  // A unified image has no root ftype; it ranks after every split one (the spec gives it no place).
  return i < 0 ? ROOT_RANK.length : i;
}

/** LXD's alias order: os, release, variant ascending ("" first), serial newest first, raw arch ascending, then root type. */
export function sortForAliases(images: readonly StreamImage[]): StreamImage[] {
  const p = (i: StreamImage, k: string): string => i.properties[k] ?? '';
  return [...images].sort(
    (a, b) =>
      goCompare(p(a, 'os'), p(b, 'os')) ||
      goCompare(p(a, 'release'), p(b, 'release')) ||
      goCompare(p(a, 'variant'), p(b, 'variant')) ||
      goCompare(p(b, 'serial'), p(a, 'serial')) ||
      goCompare(p(a, 'architecture'), p(b, 'architecture')) ||
      rootRank(a) - rootRank(b) ||
      // LXD's order past here is Go map iteration (random); make ours repeatable.
      goCompare(a.product, b.product) ||
      goCompare(a.fingerprint, b.fingerprint),
  );
}

const UBUNTU_URL = 'https://cloud-images.ubuntu.com';

/** Every alias the images publish: short `N` and medium `N/<arch as written>`, first registration per (name, type, arch) winning. */
export function generateAliases(images: readonly StreamImage[], remoteUrl?: string): StreamAlias[] {
  const stripUbuntu = remoteUrl?.startsWith(UBUNTU_URL) ?? false;
  const seen = new Set<string>();
  const out: StreamAlias[] = [];
  const register = (name: string, image: StreamImage, short: boolean): void => {
    const key = JSON.stringify([name, image.type, image.architecture]);
    if (seen.has(key)) return;
    seen.add(key);
    out.push({name, type: image.type, architecture: image.architecture, fingerprint: image.fingerprint, short});
  };
  for (const image of sortForAliases(images)) {
    for (const raw of image.productAliases) {
      // The "default OS" rule of cloud-images.ubuntu.com: ubuntu/22.04 is published as 22.04.
      const name = stripUbuntu && raw.startsWith('ubuntu/') ? raw.slice('ubuntu/'.length) : raw;
      if (name === '') continue;
      register(name, image, true);
      register(`${name}/${image.properties.architecture ?? ''}`, image, false);
    }
  }
  return out;
}

/** The alias names an image shows in listings: short ones only on the host's own architecture (§3.1 step 3). */
export function aliasesOf(aliases: readonly StreamAlias[], fingerprint: string, host: string): string[] {
  const native = canonicalArchitecture(host) ?? host;
  return aliases.filter((a) => a.fingerprint === fingerprint && (!a.short || a.architecture === native)).map((a) => a.name);
}

export interface StreamWant {
  /** The host's architecture (any LXD spelling): its images are preferred, then its personalities'. */
  architecture: string;
  type?: InstanceType;
}

/** An alias, else a unique fingerprint prefix, as LXD 5.0.2 resolves it against a feed. */
export function resolveStreamImage(set: {images: readonly StreamImage[]; aliases: readonly StreamAlias[]}, name: string, want: StreamWant): StreamImage {
  const host = canonicalArchitecture(want.architecture) ?? want.architecture;
  const preferred = [host, ...personalities(host)];
  const rank = (arch: string): number => {
    const i = preferred.indexOf(arch);
    return i < 0 ? preferred.length : i;
  };
  // The LXD client asks for a container first and falls back to a VM, so an untyped name on both is the container.
  for (const type of want.type ? [want.type] : (['container', 'virtual-machine'] as const)) {
    const matches = set.aliases.filter((a) => a.name === name && a.type === type);
    const best = matches.sort((a, b) => rank(a.architecture) - rank(b.architecture))[0];
    const image = best && set.images.find((i) => i.fingerprint === best.fingerprint && i.type === type && i.architecture === best.architecture);
    if (image) return image;
  }
  return byPrefix(set.images, name, want.type);
}

function byPrefix(images: readonly StreamImage[], prefix: string, type: InstanceType | undefined): StreamImage {
  const candidates = images.filter((i) => type === undefined || i.type === type);
  // The same image listed twice (two products, one fingerprint) is one match, not an ambiguity.
  const found = new Map<string, StreamImage>();
  if (prefix !== '') for (const i of candidates) if (i.fingerprint.startsWith(prefix) && !found.has(i.fingerprint)) found.set(i.fingerprint, i);
  if (found.size > 1) {
    throw new UserError(`More than one match for the provided partial fingerprint "${prefix}" (${found.size} images)`, {code: 'AmbiguousPrefix'});
  }
  const only = [...found.values()][0];
  if (only) return only;
  throw new UserError(`The requested image couldn't be found: "${prefix}"${type ? ` (type ${type})` : ''}`, {code: 'ImageNotFound'});
}
