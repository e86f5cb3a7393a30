/**
 * `[<remote>:]<image>` as lxc splits it: everything before the first `:` names the remote (alias
 * names cannot hold a `:`, so there is no ambiguity); without one, the image is local.
 */
export function parseRef(ref: string): {remote: string; name: string} {
  const i = ref.indexOf(':');
  if (i < 0) return {remote: 'local', name: ref};
  return {remote: ref.slice(0, i), name: ref.slice(i + 1)};
}

/**
 * A listing's arguments as lxc reads them: the first may name the remote, alone (`local:`) or
 * glued to the first filter (`local:ubuntu`); a `key=value` filter is never a remote. Without
 * one, the listing is of `defaultRemote` (lxc's default remote, `img remote switch`).
 */
export function remoteAndFilters(args: readonly string[], defaultRemote = 'local'): {remote: string; filters: string[]} {
  const [first, ...more] = args;
  if (first === undefined || !first.includes(':') || first.includes('=')) return {remote: defaultRemote, filters: [...args]};
  const {remote, name} = parseRef(first);
  return {remote, filters: name === '' ? more : [name, ...more]};
}

/** True for an argument that names only a remote (`local:`, `images:`), as import's target does. */
export function isRemoteOnly(arg: string): boolean {
  return /^[^/.=][^/=]*:$/.test(arg);
}
