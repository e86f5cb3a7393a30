/**
 * `img serve` as one call: the listen address and its defaults (HTTPS on 8443 with a
 * certificate, plain HTTP on 8080 without), the signing key, the routes, the server.
 */
import {UserError} from '../errors.js';
import type {Store} from '../store/store.js';
import type {AccessEntry} from './access-log.js';
import {serveRoutes} from './routes.js';
import {parseListen, startServer, type RunningServer} from './server.js';
import type {Route} from './types.js';

export interface ServeStoreOptions {
  listen?: string;
  tlsCert?: string;
  tlsKey?: string;
  signKey?: string;
  passphraseFile?: string;
  /** The LXD REST API route (lxd-api.ts). */
  lxdApi?: Route;
  onAccess?: (entry: AccessEntry) => void;
  onError?: (err: unknown) => void;
}

export interface ServingStore {
  server: RunningServer;
  tls: boolean;
  /** Public images served when it started listening. */
  images: number;
}

export async function serveStore(store: Store, opts: ServeStoreOptions): Promise<ServingStore> {
  if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) {
    throw new UserError('--tls-cert and --tls-key go together', {code: 'Usage'});
  }
  const tls = opts.tlsCert !== undefined && opts.tlsKey !== undefined;
  const listen = parseListen(opts.listen, {host: '127.0.0.1', port: tls ? 8443 : 8080});
  const signer = opts.signKey === undefined ? undefined : await (await import('../sign/signer.js')).loadSigner(opts.signKey, opts.passphraseFile);
  const server = await startServer({
    store,
    listen,
    ...(tls ? {tls: {certFile: opts.tlsCert!, keyFile: opts.tlsKey!}} : {}),
    routes: serveRoutes({...(signer ? {signer} : {}), ...(opts.lxdApi ? {lxdApi: opts.lxdApi} : {})}),
    ...(opts.onAccess ? {onAccess: opts.onAccess} : {}),
    ...(opts.onError ? {onError: opts.onError} : {}),
  });
  const catalog = await server.catalog.current();
  return {server, tls, images: catalog.images.length};
}
