/**
 * The page for people: a browser asking for `/` (Accept: text/html first) gets the listing that
 * `img simplestreams export --html` writes, with links to the files this server serves and the
 * `lxc remote add` line for this very origin. Anyone else at `/` is left to the LXD API route.
 */
import {newestUpload} from '../simplestreams/feed.js';
import {prefersHtml, renderFeedHtml} from '../simplestreams/html.js';
import {INDEX} from '../simplestreams/tree.js';
import {filePathOf} from './streams.js';
import type {Route} from './types.js';

export function pageRoute(opts: {title?: string} = {}): Route {
  let cached: {key: string; html: string} | undefined;
  return async (r) => {
    if (r.path !== '/' || !prefersHtml(r.req.headers.accept)) return false;
    const key = `${r.catalog.generation} ${r.origin}`;
    if (cached?.key !== key) {
      const html = renderFeedHtml(r.catalog.feed, {
        ...(opts.title ? {title: opts.title} : {}),
        pathOf: filePathOf,
        remoteUrl: r.origin,
        generated: newestUpload(r.catalog.feed),
        indexPath: INDEX,
      });
      cached = {key, html};
    }
    r.text(200, cached.html, 'text/html; charset=utf-8', {'Cache-Control': 'no-cache'});
    return true;
  };
}
