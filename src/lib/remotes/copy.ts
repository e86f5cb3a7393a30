import {mkdir} from 'node:fs/promises';
import {join} from 'node:path';
import {UsageError} from '../errors.js';
import {removePartial} from '../http/download.js';
import type {ImageRecord, ImageSource, ImageView, InstanceType, UpdateSource} from '../image/types.js';
import {pointAliases} from '../store/aliases.js';
import {importImage} from '../store/import.js';
import type {Store} from '../store/store.js';
import {nowRfc3339} from '../time.js';
import type {DownloadOptions, Source} from './source.js';

export interface CopyOptions extends DownloadOptions {
  aliases?: string[];
  /** Also create the aliases the remote lists for the image (lxc's --copy-aliases). */
  copyAliases?: boolean;
  autoUpdate?: boolean;
  public?: boolean;
  /** --vm: resolve the name to a virtual-machine image. */
  type?: InstanceType;
  /** Downloaded implicitly (for an instance): `img image prune` may remove it once unused. */
  cached?: boolean;
  /** Fields the new record inherits (a refresh keeps the old image's use). */
  inherit?: Partial<Pick<ImageRecord, 'cached' | 'last_used_at' | 'profiles' | 'update_check'>>;
}

export interface CopyResult {
  image: ImageView;
  /** False when the store already had the image: nothing was downloaded. */
  downloaded: boolean;
}

/**
 * `img image copy <remote>:<name> local:`: resolve the name on the remote, download the files
 * into partials under tmp/downloads (without the store lock, so copies run side by side), then
 * import them, which checks the whole against the fingerprint and commits under the lock. The
 * record takes what LXD takes from the remote: its properties, dates and architecture, and, for
 * a copy by alias, where it came from (update_source), even without --auto-update (LXD 5.0.2).
 */
export async function copyImage(store: Store, source: Source, name: string, opts: CopyOptions = {}): Promise<CopyResult> {
  if (source.protocol === 'local') throw new UsageError(`the image is already in the local store: use img image alias create to give it another name`);
  const remote = await source.resolve(name, opts.type ? {type: opts.type} : {});
  const aliases = [...(opts.aliases ?? []), ...(opts.copyAliases ? remote.aliases.map((a) => a.name) : [])];
  const byAlias = !remote.fingerprint.startsWith(name.toLowerCase());
  const updateSource: UpdateSource | null = byAlias
    ? {
        alias: name,
        certificate: source.certificate ?? '',
        protocol: source.protocol,
        server: source.server ?? '',
        image_type: opts.type === 'virtual-machine' ? 'virtual-machine' : '',
      }
    : null;
  // As LXD: an image already stored is not downloaded again; the copy only adds its aliases (and the source, when asked to keep it updated).
  const alreadyStored = async (): Promise<CopyResult> => {
    await pointAliases(store, aliases, remote.fingerprint);
    if (opts.autoUpdate && updateSource) await store.updateRecord(remote.fingerprint, (r) => ({...r, auto_update: true, update_source: updateSource}));
    return {image: (await store.view(remote.fingerprint))!, downloaded: false};
  };
  if (await store.exists(remote.fingerprint)) return alreadyStored();
  await mkdir(store.paths.downloads, {recursive: true});
  const partial = (role: string) => join(store.paths.downloads, `${remote.fingerprint}.${role}.partial`);
  const sources = await source.download(remote, {partial}, opts);
  const ours = (s: ImageSource): s is ImageSource & {path: string} => 'path' in s && s.path.startsWith(store.paths.downloads + '/');
  let image: ImageView;
  try {
    image = await importImage(store, sources, {
      fingerprint: remote.fingerprint,
      aliases,
      public: opts.public ?? false,
      // Hard-linked into the store: a partial on the store's filesystem is not copied again.
      move: sources.every(ours),
      ...(opts.signal ? {signal: opts.signal} : {}),
      record: {
        architecture: remote.architecture,
        properties: remote.properties,
        created_at: remote.created_at,
        expires_at: remote.expires_at,
        filename: remote.filename,
        update_source: updateSource,
        auto_update: (opts.autoUpdate ?? false) && updateSource !== null,
        cached: opts.cached ?? false,
        ...(opts.cached ? {last_used_at: nowRfc3339()} : {}),
        ...opts.inherit,
      },
    });
  } catch (err) {
    const code = (err as {code?: string}).code;
    // Another copy of the same image (another img process) committed it while this one waited for its partials.
    if (code === 'ImageExists') return alreadyStored();
    // Bytes that made a wrong image are of no use to a retry.
    if (code === 'FingerprintMismatch') await Promise.all(sources.filter(ours).map((s) => removePartial(s.path)));
    throw err;
  }
  await Promise.all(sources.filter(ours).map((s) => removePartial(s.path)));
  return {image, downloaded: true};
}
