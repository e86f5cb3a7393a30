import type {ImageView} from '../image/types.js';
import {isUnset, nowRfc3339} from '../time.js';
import type {Store} from './store.js';

export interface PruneOptions {
  /** images.remote_cache_expiry: days a cached image may stay unused; 0 keeps them. */
  expiryDays: number;
  /** Also images whose expires_at has passed, cached or not. */
  expired?: boolean;
  dryRun?: boolean;
  now?: Date;
}

export interface PruneResult {
  fingerprint: string;
  reason: 'unused' | 'expired';
  /** Why, in words (when it was last used, when it expired). */
  message: string;
}

const DAY = 86_400_000;

/**
 * LXD's daily expiry of cached images (../shared/spec/lxd-images.md §7.4): an image downloaded
 * implicitly (cached) whose last use, or arrival when never used, is older than the expiry is
 * removed. Images the user copied or imported are never cached, so never pruned this way.
 */
export async function pruneImages(store: Store, opts: PruneOptions): Promise<PruneResult[]> {
  const now = (opts.now ?? new Date()).getTime();
  const out: PruneResult[] = [];
  for (const image of await store.list()) {
    const found = why(image, now, opts);
    if (!found) continue;
    if (!opts.dryRun) await store.deleteImage(image.fingerprint);
    out.push({fingerprint: image.fingerprint, ...found});
  }
  return out;
}

function why(image: ImageView, now: number, opts: PruneOptions): Omit<PruneResult, 'fingerprint'> | undefined {
  if (image.cached && opts.expiryDays > 0) {
    const used = isUnset(image.last_used_at) ? image.uploaded_at : image.last_used_at;
    const since = Date.parse(used);
    if (since + opts.expiryDays * DAY < now) {
      const what = isUnset(image.last_used_at) ? `cached ${nowRfc3339(new Date(since))}, never used` : `last used ${nowRfc3339(new Date(since))}`;
      return {reason: 'unused', message: `${what}, more than ${opts.expiryDays} days ago`};
    }
  }
  if (opts.expired && !isUnset(image.expires_at) && Date.parse(image.expires_at) < now) return {reason: 'expired', message: `expired ${image.expires_at}`};
  return undefined;
}
