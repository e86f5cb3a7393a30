/**
 * Auto-update, explained (../shared/spec/lxd-images.md §7.3): for each image copied by alias
 * with --auto-update, resolve its source alias again; when it names a new fingerprint, download
 * that, move the aliases and the source onto it and delete the old image. Unlike LXD's hourly
 * task, every image gets one outcome in words, and the record keeps the last one.
 */
import {isUserError, type UserError} from '../errors.js';
import type {ImageView, UpdateCheck} from '../image/types.js';
import {nowRfc3339} from '../time.js';
import {copyImage} from './copy.js';
import type {Remotes} from './index.js';
import type {DownloadOptions, Source} from './source.js';

export type RefreshStatus = UpdateCheck['outcome'] | 'not-auto-update' | 'not-due' | 'would-refresh';

export interface RefreshResult {
  fingerprint: string;
  /** The image's first alias, else its source alias: how the user knows it. */
  name: string;
  status: RefreshStatus;
  /** One line saying what happened and why. */
  message: string;
  /** The image it was (or would be) refreshed to. */
  to?: string;
}

export interface RefreshOptions extends DownloadOptions {
  /** Only images whose last check is older than `intervalHours` (images.auto_update_interval). */
  due?: boolean;
  intervalHours: number;
  dryRun?: boolean;
  now?: Date;
  /** Called as each image starts, for progress. */
  onImage?: (image: ImageView) => void;
}

const HOUR = 3_600_000;

/** When an image was last checked: its last refresh, else its arrival. */
export function lastChecked(image: ImageView): string {
  return image.update_check?.at ?? image.uploaded_at;
}

/** When the next check of an auto-update image is due, or undefined when auto-update is off. */
export function nextCheckDue(image: ImageView, intervalHours: number): Date | undefined {
  if (!image.auto_update || !image.update_source || intervalHours <= 0) return undefined;
  return new Date(Date.parse(lastChecked(image)) + intervalHours * HOUR);
}

/** Refresh the images given, or every auto-update image in the store; one result per image, in order. */
export async function refreshImages(remotes: Remotes, images: ImageView[] | undefined, opts: RefreshOptions): Promise<RefreshResult[]> {
  const store = remotes.store;
  const all = images ?? (await store.list()).filter((i) => i.auto_update);
  const now = opts.now ?? new Date();
  const results: RefreshResult[] = [];
  for (const image of all) {
    opts.onImage?.(image);
    results.push(await refreshOne(remotes, image, now, opts));
  }
  return results;
}

async function refreshOne(remotes: Remotes, image: ImageView, now: Date, opts: RefreshOptions): Promise<RefreshResult> {
  const src = image.update_source;
  const name = image.aliases[0]?.name ?? src?.alias ?? image.fingerprint.slice(0, 12);
  const result = (status: RefreshStatus, message: string, to?: string): RefreshResult => ({
    fingerprint: image.fingerprint,
    name,
    status,
    message,
    ...(to ? {to} : {}),
  });
  if (!image.auto_update || !src) {
    return result('not-auto-update', `${name}: not an auto-update image (${src ? 'auto_update is off' : 'it was not copied from a remote by alias'})`);
  }
  if (opts.due) {
    const next = nextCheckDue(image, opts.intervalHours);
    if (opts.intervalHours <= 0) return result('not-due', `${name}: skipped, images.auto_update_interval is 0 (auto-update disabled)`);
    if (next && next > now) return result('not-due', `${name}: checked ${ago(now, new Date(lastChecked(image)))}, next check due ${nowRfc3339(next)}`);
  }
  const where = `${src.alias} on ${src.server}`;
  const store = remotes.store;
  const record = async (check: UpdateCheck['outcome'], detail?: string): Promise<void> => {
    if (opts.dryRun) return;
    await store.updateRecord(image.fingerprint, (r) => ({...r, update_check: {at: nowRfc3339(now), outcome: check, ...(detail ? {detail} : {})}}));
  };
  let source: Source;
  let target: ImageView;
  try {
    // The configured remote at that server brings its keyring along; a removed remote is still reachable by its URL.
    const config = remotes.byServer(src.server, src.protocol) ?? {
      name: src.server,
      protocol: src.protocol,
      url: src.server,
      ...(src.certificate ? {certificate: src.certificate} : {}),
    };
    source = await remotes.sourceFor(config);
    target = await source.resolve(src.alias, {type: image.type, architecture: image.architecture});
  } catch (err) {
    if (!isUserError(err)) throw err;
    if (err.code === 'ImageNotFound') {
      await record('alias-gone', err.message);
      return result('alias-gone', `${name}: the source alias ${where} is gone (${err.message}); image kept`);
    }
    const status = outcomeOf(err);
    await record(status, err.message);
    return result(status, `${name}: source ${status} (${err.message}); nothing changed`);
  }
  if (target.fingerprint === image.fingerprint) {
    await record('up-to-date');
    return result('up-to-date', `${name}: up to date (${image.fingerprint.slice(0, 12)} is still ${where})`);
  }
  const change = `${image.fingerprint.slice(0, 12)} → ${target.fingerprint.slice(0, 12)}`;
  if (opts.dryRun) return result('would-refresh', `${name}: would refresh ${change} (${where} moved)`, target.fingerprint);
  try {
    await copyImage(store, source, src.alias, {
      aliases: image.aliases.map((a) => a.name),
      autoUpdate: true,
      public: image.public,
      ...(image.type === 'virtual-machine' ? {type: image.type} : {}),
      inherit: {
        cached: image.cached,
        last_used_at: image.last_used_at,
        profiles: image.profiles,
        update_check: {at: nowRfc3339(now), outcome: 'refreshed', detail: `from ${image.fingerprint}`},
      },
      ...(opts.signal ? {signal: opts.signal} : {}),
      ...(opts.onProgress ? {onProgress: opts.onProgress} : {}),
    });
  } catch (err) {
    if (!isUserError(err)) throw err;
    const status = outcomeOf(err);
    await record(status, err.message);
    return result(status, `${name}: refresh ${change} failed (${err.message}); old image kept`);
  }
  await store.deleteImage(image.fingerprint);
  return result('refreshed', `${name}: refreshed from ${image.fingerprint} to ${target.fingerprint}`, target.fingerprint);
}

/** A source that could not be reached (or answered with an HTTP error), or one that failed otherwise. */
function outcomeOf(err: UserError): 'unreachable' | 'failed' {
  return err.code === 'RemoteUnreachable' || err.code === 'HttpError' ? 'unreachable' : 'failed';
}

function ago(now: Date, then: Date): string {
  const mins = Math.max(0, Math.round((now.getTime() - then.getTime()) / 60_000));
  return mins < 120 ? `${mins} min ago` : `${Math.round(mins / 60)} h ago`;
}
