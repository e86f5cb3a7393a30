/**
 * Where `img simplestreams list` and `mirror` read a feed: a tree directory, the base URL of a
 * feed, or a configured simplestreams remote (`images:`), whose keyring then applies.
 */
import {join} from 'node:path';
import type {ImgConfig} from '../lib/config/config.js';
import {UsageError, UserError} from '../lib/errors.js';
import {parseRef} from '../lib/remotes/ref.js';
import type {Feed} from '../lib/simplestreams/read-feed.js';
import {warnOrFail, type Warning} from '../lib/warn.js';

export type FeedLocation = {url: string; keyring?: string} | {dir: string};

const isUrl = (s: string): boolean => /^https?:\/\//i.test(s);

/** `remote` is a remote's name (`images`), or a URL given in its place. */
export function remoteLocation(remote: string, cfg: ImgConfig): {url: string; keyring?: string} {
  if (isUrl(remote)) return {url: remote};
  const r = cfg.remotes().find((c) => c.name === remote);
  if (!r) throw new UserError(`The remote "${remote}" doesn't exist`, {code: 'RemoteNotFound'});
  if (r.protocol !== 'simplestreams' || !r.url) throw new UsageError(`The remote "${remote}" speaks ${r.protocol}, not simplestreams`);
  return {url: r.url, ...(r.keyring ? {keyring: r.keyring} : {})};
}

/**
 * mirror's words: `<remote>:[<filter>]` or a URL, more filters, the tree's directory last. The
 * first word always names the remote, so `feed:os=Alpine` is remote feed and filter os=Alpine.
 */
export function mirrorArgs(words: readonly string[]): {remote: string; filters: string[]; dir: string} {
  if (words.length < 2) throw new UsageError('give the source (<remote>:[<filter>] or a URL) and the directory of the tree');
  const [first, ...rest] = words.slice(0, -1) as [string, ...string[]];
  const dir = words.at(-1)!;
  if (isUrl(first)) return {remote: first, filters: rest, dir};
  if (!first.includes(':')) throw new UsageError(`${first}: name the remote to mirror from as <remote>: (e.g. images:)`);
  const {remote, name} = parseRef(first);
  return {remote, filters: name === '' ? rest : [name, ...rest], dir};
}

/** A URL, `name:` of a configured remote, or else a directory. */
export function feedLocation(arg: string, cfg: ImgConfig): FeedLocation {
  if (isUrl(arg)) return {url: arg};
  const remote = /^([^/.=][^/=]*):$/.exec(arg)?.[1];
  if (remote !== undefined && cfg.remotes().some((r) => r.name === remote)) return remoteLocation(remote, cfg);
  return {dir: arg};
}

/** The feed at a location; a remote's documents through the cache of remote indexes ($IMG_HOME/cache/http). */
export async function readFeedAt(loc: FeedLocation, cfg: ImgConfig, opts: {home: string; maxAgeMs?: number; onWarning?: (w: Warning) => void}): Promise<Feed> {
  const feeds = await import('../lib/simplestreams/read-feed.js');
  if ('dir' in loc) {
    const [{openBlobStore}, {readTree, INDEX}] = await Promise.all([import('../lib/storage/index.js'), import('../lib/simplestreams/tree.js')]);
    const state = await readTree(openBlobStore(loc.dir));
    if (!state.index) throw new UserError(`${loc.dir}: no simplestreams tree here (${INDEX} is missing)`, {code: 'FileNotFound'});
    return feeds.treeFeed(state, loc.dir);
  }
  // As for a remote's images: a keyring authenticates what a plain-http feed says, and the hashes in it its files.
  if (/^http:\/\//i.test(loc.url) && !loc.keyring) {
    warnOrFail(opts, 'PlainHttp', `${loc.url} is reached over plain http: nothing proves what it sends comes from that server unchanged`);
  }
  const {ResponseCache} = await import('../lib/http/cache.js');
  const cache = new ResponseCache(join(opts.home, 'cache', 'http'), {
    ttlMs: cfg.setting('images.remote_index_ttl') * 1000,
    ...(opts.onWarning ? {onWarning: opts.onWarning} : {}),
  });
  return feeds.readRemoteFeed(loc.url, {
    cache,
    ...(loc.keyring ? {keyring: loc.keyring} : {}),
    ...(opts.maxAgeMs === undefined ? {} : {maxAgeMs: opts.maxAgeMs}),
  });
}
