/**
 * `[<remote>:]<image>` as lxc splits it: everything before the first `:` names the remote (alias
 * names cannot hold a `:`, so there is no ambiguity); without one, the image is local.
 */
export function parseRef(ref: string, defaultRemote = 'local'): {remote: string; name: string} {
  const i = ref.indexOf(':');
  if (i < 0) return {remote: defaultRemote, name: ref};
  return {remote: ref.slice(0, i), name: ref.slice(i + 1)};
}

/** True for an argument that names only a remote (`local:`, `images:`), as import's target and list's first argument do. */
export function isRemoteOnly(arg: string): boolean {
  return /^[^/.=][^/=]*:$/.test(arg);
}
