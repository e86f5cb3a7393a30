// Small products files built in code, shaped like the spec's test feeds (simplestreams.md §2–§3).
export const h = (c: string): string => c.repeat(64).slice(0, 64);

export function item(ftype: string, path: string, sha: string, size: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {ftype, path, sha256: h(sha), size, ...extra};
}

export function product(arch: string, aliases: string, versions: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    arch,
    aliases,
    os: 'Spectest',
    release: 'one',
    release_title: 'One',
    variant: 'default',
    versions: Object.fromEntries(Object.entries(versions).map(([k, items]) => [k, {label: 'release', items}])),
    ...extra,
  };
}

export function feed(products: Record<string, unknown>): unknown {
  return {content_id: 'spectest', datatype: 'image-downloads', format: 'products:1.0', products};
}

/** A split version: lxd.tar.xz with the combined hashes, and the roots asked for. */
export function split(dir: string, roots: Array<'squashfs' | 'root.tar.xz' | 'disk-kvm.img'>, fps: Record<string, string>): Record<string, unknown> {
  const items: Record<string, unknown> = {
    'lxd.tar.xz': item('lxd.tar.xz', `${dir}/lxd.tar.xz`, 'a', 100, fps),
  };
  if (roots.includes('squashfs')) items['root.squashfs'] = item('squashfs', `${dir}/root.squashfs`, 'b', 1000);
  if (roots.includes('root.tar.xz')) items['root.tar.xz'] = item('root.tar.xz', `${dir}/root.tar.xz`, 'c', 2000);
  if (roots.includes('disk-kvm.img')) items['disk-kvm.img'] = item('disk-kvm.img', `${dir}/disk.qcow2`, 'd', 3000);
  return items;
}
