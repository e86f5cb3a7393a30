import {UserError} from './errors.js';

/** The remotes img knows today: only the local store (remotes arrive with their own issue). */
const KNOWN_REMOTES = new Set(['local']);

/** Split `[remote:]name` as lxc does; only `local` exists until remotes are configured. */
export function parseRef(ref: string): {remote: string; name: string} {
  const i = ref.indexOf(':');
  if (i < 0) return {remote: 'local', name: ref};
  const remote = ref.slice(0, i);
  if (!KNOWN_REMOTES.has(remote)) throw new UserError(`The remote "${remote}" doesn't exist`, {code: 'RemoteNotFound'});
  return {remote, name: ref.slice(i + 1)};
}
