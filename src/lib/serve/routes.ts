/**
 * The routes of img serve, in the order they are tried. The page comes first and takes `/` only
 * from browsers; the LXD REST API (given by the caller) answers `/` and `/1.0…` for everyone else.
 */
import type {Signer} from '../sign/signer.js';
import {directRoute} from './direct.js';
import {pageRoute} from './page.js';
import {streamsRoute} from './streams.js';
import type {Route} from './types.js';

export function serveRoutes(opts: {signer?: Signer; lxdApi?: Route} = {}): Route[] {
  return [pageRoute(), streamsRoute(opts.signer), directRoute, ...(opts.lxdApi ? [opts.lxdApi] : [])];
}
