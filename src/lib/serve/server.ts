/**
 * img serve's HTTP(S) server: node:http, because what it needs is all there (keep-alive, header
 * and request timeouts, back-pressure on writes, a graceful close) and a framework would add
 * only routing, which here is a list of Routes tried in order. Every request is GET or HEAD,
 * has its path checked once (request-path.ts), and sees one Catalog snapshot of the store.
 */
import {readFile} from 'node:fs/promises';
import http, {type IncomingMessage, type ServerResponse} from 'node:http';
import https from 'node:https';
import type {AddressInfo} from 'node:net';
import {isUserError, UserError, userFsError} from '../errors.js';
import type {Store} from '../store/store.js';
import type {AccessEntry} from './access-log.js';
import {StoreCatalog} from './catalog.js';
import {parseTarget} from './request-path.js';
import {sendFile, sendJson, sendPlain, sendText} from './respond.js';
import type {Route, ServeRequest} from './types.js';

export interface ListenAddress {
  host: string;
  port: number;
}

export interface ServeOptions {
  store: Store;
  listen: ListenAddress;
  /** PEM files: serve HTTPS. */
  tls?: {certFile: string; keyFile: string};
  /** Tried in order; the first that answers wins. */
  routes: readonly Route[];
  onAccess?: (entry: AccessEntry) => void;
  /** A bug met while answering (the client got a bare 500). */
  onError?: (err: unknown) => void;
  /** Reading store files to compute digests the catalog lacks. */
  onHashing?: (bytes: number) => void;
}

export interface RunningServer {
  /** `http(s)://host:port` as listening (the real port when 0 was asked). */
  readonly url: string;
  readonly address: ListenAddress;
  readonly catalog: StoreCatalog;
  /** Stop accepting, let answers under way finish for up to `graceMs`, then cut what is left. Resolves with how many were cut. */
  close(graceMs?: number): Promise<{cut: number}>;
}

/** `ADDR:PORT`, `[v6]:PORT`, `:PORT` or `ADDR`, over the defaults. */
export function parseListen(text: string | undefined, fallback: ListenAddress): ListenAddress {
  if (text === undefined) return fallback;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*))(?::(\d{1,5}))?$/.exec(text);
  const port = m?.[3] === undefined ? fallback.port : Number(m[3]);
  if (!m || text === '' || port > 65535) throw new UserError(`--listen ${text}: expected ADDR:PORT (e.g. 127.0.0.1:8443, [::1]:8443, :8080)`, {code: 'Usage'});
  return {host: m[1] ?? (m[2] || fallback.host), port};
}

const ALLOWED = 'GET, HEAD';

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const tls = opts.tls && {cert: await readPem(opts.tls.certFile), key: await readPem(opts.tls.keyFile)};
  const server = tls ? https.createServer(tls) : http.createServer();
  // Slow or silent clients must not hold sockets forever: headers within 20 s, the whole request within 30 s, and no
  // 2 minutes without progress while answering (a stalled download).
  server.headersTimeout = 20_000;
  server.requestTimeout = 30_000;
  server.setTimeout(120_000);
  const catalog = new StoreCatalog(opts.store, opts.onHashing ? {onHashing: opts.onHashing} : {});
  const scheme = tls ? 'https' : 'http';
  let closing = false;
  const inFlight = new Set<ServerResponse>();

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    inFlight.add(res);
    const at = new Date();
    const started = performance.now();
    const socket = req.socket;
    const written = socket.bytesWritten;
    if (closing) res.setHeader('connection', 'close');
    res.once('close', () => {
      inFlight.delete(res);
      opts.onAccess?.({
        remote: socket.remoteAddress ?? '-',
        method: req.method ?? '-',
        target: req.url ?? '',
        httpVersion: req.httpVersion,
        status: res.statusCode,
        bytes: Math.max(0, (socket.bytesWritten ?? written) - written),
        ms: performance.now() - started,
        at,
        aborted: !res.writableFinished,
      });
      if (closing) server.closeIdleConnections();
    });
    handle(req, res).catch((err: unknown) => {
      opts.onError?.(err);
      if (!res.headersSent) sendPlain(req, res, 500, 'internal error');
      else res.destroy();
    });
  });

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendPlain(req, res, 405, 'method not allowed', {allow: ALLOWED});
    const target = parseTarget(req.url ?? '');
    if ('refused' in target) return sendPlain(req, res, 400, `bad request: ${target.refused}`);
    // `/` answers a browser with a page and anyone else with JSON: caches must keep the two apart.
    if (target.path === '/') res.setHeader('vary', 'Accept');
    const r: ServeRequest = {
      req,
      res,
      path: target.path,
      query: target.query,
      catalog: await catalog.current(),
      origin: originOf(req, scheme, address),
      json: (status, body, headers) => sendJson(req, res, status, body, headers),
      text: (status, body, type, headers) => sendText(req, res, status, body, type, headers),
      file: (path, answer) => sendFile(req, res, path, answer),
    };
    try {
      for (const route of opts.routes) if (await route(r)) return;
    } catch (err) {
      // A store file gone between the catalog and the open (an image deleted meanwhile), or one that is a symlink
      // (refused by O_NOFOLLOW: ELOOP), is not found, not a bug.
      const code = (err as NodeJS.ErrnoException).code;
      if (res.headersSent || !(isUserError(err) || code === 'ENOENT' || code === 'ELOOP')) throw err;
    }
    if (!res.headersSent) sendPlain(req, res, 404, 'not found');
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, opts.listen)));
    server.listen(opts.listen.port, opts.listen.host, resolve);
  });
  const bound = server.address() as AddressInfo;
  const address = {host: opts.listen.host, port: bound.port};
  const url = `${scheme}://${hostPart(address.host)}:${address.port}`;
  server.on('error', (err) => opts.onError?.(err));

  return {
    url,
    address,
    catalog,
    async close(graceMs = 30_000) {
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), graceMs)));
      const late = (await Promise.race([closed, deadline])) === 'late';
      clearTimeout(timer);
      const cut = late ? inFlight.size : 0;
      if (late) {
        server.closeAllConnections();
        await closed;
      }
      catalog.close();
      return {cut};
    },
  };
}

async function readPem(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    userFsError(err, path);
  }
}

function listenError(err: NodeJS.ErrnoException, at: ListenAddress): Error {
  const where = `${hostPart(at.host)}:${at.port}`;
  if (err.code === 'EADDRINUSE') return new UserError(`cannot listen on ${where}: the address is in use`, {code: 'AddressUnavailable', cause: err});
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'EACCES' || err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
    return new UserError(`cannot listen on ${where}: ${err.code === 'EACCES' ? 'permission denied' : 'not an address of this host'}`, {
      code: 'AddressUnavailable',
      cause: err,
    });
  }
  return err;
}

const hostPart = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/** The origin the client used (its Host header, when it is a plain host[:port]), for absolute URLs in answers. */
function originOf(req: IncomingMessage, scheme: string, address: ListenAddress): string {
  const host = req.headers.host;
  if (host && /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/.test(host)) return `${scheme}://${host}`;
  return `${scheme}://${hostPart(address.host)}:${address.port}`;
}
