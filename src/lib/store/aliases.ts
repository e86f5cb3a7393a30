import type {AliasEntry, ListedAlias} from '../image/types.js';
import {checkAliasName} from './alias-table.js';
import {resolveFingerprint} from './resolve.js';
import type {Store} from './store.js';

/** Point a new alias at an image given by fingerprint or unique prefix. */
export async function createAlias(store: Store, name: string, targetRef: string, description = ''): Promise<AliasEntry> {
  checkAliasName(name);
  return store.locked(async () => {
    const aliases = await store.aliases();
    await aliases.assertFree(name, store.exists);
    const entry = aliases.set(name, await resolveFingerprint(store, targetRef), description);
    await store.saveAliases(aliases);
    return entry;
  });
}

/** Point aliases at a stored image, moving any that named another one (as an import with --alias does). */
export async function pointAliases(store: Store, names: readonly string[], fingerprint: string): Promise<void> {
  if (names.length === 0) return;
  for (const name of names) checkAliasName(name);
  await store.locked(async () => {
    const aliases = await store.aliases();
    for (const name of names) aliases.set(name, fingerprint);
    await store.saveAliases(aliases);
  });
}

export async function deleteAlias(store: Store, name: string): Promise<void> {
  await store.locked(async () => {
    const aliases = await store.aliases();
    await aliases.live(name, store.exists);
    aliases.delete(name);
    await store.saveAliases(aliases);
  });
}

export async function renameAlias(store: Store, from: string, to: string): Promise<void> {
  checkAliasName(to);
  await store.locked(async () => {
    const aliases = await store.aliases();
    const a = await aliases.live(from, store.exists);
    await aliases.assertFree(to, store.exists);
    aliases.delete(from);
    aliases.set(to, a.target, a.description);
    await store.saveAliases(aliases);
  });
}

/** Aliases that point at stored images, by name, with the type of their image. */
export async function listAliases(store: Store): Promise<ListedAlias[]> {
  const out: ListedAlias[] = [];
  for (const a of (await store.aliases()).all()) {
    const record = await store.readRecord(a.target);
    if (record) out.push({...a, type: record.type});
  }
  return out;
}
