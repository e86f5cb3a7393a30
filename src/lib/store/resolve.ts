import {NotFoundError, UserError} from '../errors.js';
import type {ImageView} from '../image/types.js';
import type {Store} from './store.js';

/** The one stored image whose fingerprint starts with `prefix` (any case); undefined when none does. */
export async function matchPrefix(store: Store, prefix: string): Promise<string | undefined> {
  const p = prefix.toLowerCase();
  if (!/^[0-9a-f]+$/.test(p)) return undefined;
  const matches = (await store.fingerprints()).filter((fp) => fp.startsWith(p));
  if (matches.length > 1)
    throw new UserError(`Image fingerprint prefix "${prefix}" is ambiguous: it matches ${matches.length} images`, {code: 'AmbiguousPrefix'});
  return matches[0];
}

/**
 * Find an image by alias, else by fingerprint or unique fingerprint prefix, as `lxc image info`
 * resolves its argument.
 */
export async function resolveImage(store: Store, ref: string): Promise<ImageView> {
  const aliases = await store.aliases();
  const alias = aliases.get(ref);
  const record = (alias && (await store.readRecord(alias.target))) || (await recordByPrefix(store, ref));
  if (!record) throw new NotFoundError(`Image "${ref}" not found`);
  return aliases.view(record);
}

async function recordByPrefix(store: Store, ref: string) {
  const fp = await matchPrefix(store, ref);
  return fp === undefined ? undefined : store.readRecord(fp);
}

/** A fingerprint or unique prefix (not an alias, as LXD takes an alias target). */
export async function resolveFingerprint(store: Store, ref: string): Promise<string> {
  const fp = await matchPrefix(store, ref);
  if (fp === undefined) throw new NotFoundError(`Image "${ref}" not found`);
  return fp;
}
