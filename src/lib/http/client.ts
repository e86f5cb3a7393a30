import {readFileSync} from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type {Readable} from 'node:stream';
import {UserError, isUserError} from '../errors.js';
import {hostArchitecture} from '../image/architectures.js';
import {bodyOf} from './response-body.js';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {version?: unknown};
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** What img says it is to servers, in LXD's shape (`LXD 5.0.2 (Linux; x86_64; …)`). */
export const USER_AGENT = `img/${packageVersion()} (Linux; ${hostArchitecture()})`;

export interface RequestOptions {
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** default 5; a redirect that changes scheme (https→http, or to anything but http/https) is refused: RedirectRefused; too many: RedirectRefused */
  maxRedirects?: number;
  /** ms without any progress (connect, headers, body data) before failing with RemoteUnreachable; default 30000 */
  idleTimeoutMs?: number;
  /** A pinned certificate (PEM): the only one trusted for https, as lxc pins an LXD server's. */
  ca?: string;
}

export interface HttpResponse {
  status: number;
  statusText: string;
  headers: http.IncomingHttpHeaders;
  /** The URL finally answered, after redirects. */
  url: string;
  /** The body; the caller consumes or destroys it. Idle timeout applies while it streams. */
  body: Readable;
}

/** An HTTP error status (code HttpError), with the status for callers that tell 404 from 500. */
export class HttpStatusError extends UserError {
  constructor(
    readonly status: number,
    readonly url: string,
    message: string,
  ) {
    super(message, {code: 'HttpError'});
    this.name = 'HttpStatusError';
  }
}

// One agent per scheme for the whole process: a listing that fetches an index and then its
// products files reuses the TLS connection instead of shaking hands again.
const agents = {'http:': new http.Agent({keepAlive: true}), 'https:': new https.Agent({keepAlive: true})};
// A pinned certificate gets agents of its own: a connection trusted through it is never reused for another remote.
const pinnedAgents = new Map<string, https.Agent>();

function agentFor(url: URL, ca: string | undefined): http.Agent {
  if (url.protocol !== 'https:' || ca === undefined) return agents[url.protocol as 'http:' | 'https:'];
  let agent = pinnedAgents.get(ca);
  if (!agent) pinnedAgents.set(ca, (agent = new https.Agent({keepAlive: true, ca})));
  return agent;
}
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const DRAIN_LIMIT = 64 << 10;

/** A URL as messages show it: without user or password. */
export function shownUrl(url: string | URL): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.href;
  } catch {
    return String(url);
  }
}

/**
 * One request through node:http / node:https (HTTPS verified with Node's default trust store, so NODE_EXTRA_CA_CERTS works). Any status is returned;
 * connection/DNS/TLS/timeout errors throw UserError RemoteUnreachable "cannot reach <url>: <reason>". Follows 301/302/303/307/308 for GET/HEAD.
 *
 * @example
 * const res = await expectOk(await request('https://images.example.org/streams/v1/index.json'));
 */
export async function request(url: string, opts: RequestOptions = {}): Promise<HttpResponse> {
  if (!URL.canParse(url)) throw new UserError(`${url}: not a URL`, {code: 'InvalidRemoteUrl'});
  let current = new URL(url);
  if (current.protocol !== 'http:' && current.protocol !== 'https:') throw new UserError(`${shownUrl(url)}: not an http(s) URL`, {code: 'InvalidRemoteUrl'});
  const maxRedirects = opts.maxRedirects ?? 5;
  let headers: Record<string, string> = {'user-agent': USER_AGENT, ...lowerKeys(opts.headers)};
  for (let hops = 0; ; hops++) {
    const res = await send(current, headers, opts, false);
    const location = res.headers.location;
    if (!REDIRECTS.has(res.status) || location === undefined) return res;
    discard(res);
    if (hops >= maxRedirects) throw new UserError(`${shownUrl(url)}: too many redirects (more than ${maxRedirects})`, {code: 'RedirectRefused'});
    if (!URL.canParse(location, current.href))
      throw new UserError(`${shownUrl(current)}: redirected to an invalid URL: ${location}`, {code: 'RedirectRefused'});
    const next = new URL(location, current);
    // http→https is an upgrade; anything else that leaves the scheme would drop the guarantees the remote was added with.
    if (next.protocol !== current.protocol && !(current.protocol === 'http:' && next.protocol === 'https:')) {
      throw new UserError(`${shownUrl(current)}: redirect to ${shownUrl(next)} refused: it changes the scheme`, {code: 'RedirectRefused'});
    }
    if (next.origin !== current.origin) {
      const {authorization: _a, cookie: _c, ...rest} = headers;
      headers = rest;
    }
    current = next;
  }
}

function send(url: URL, headers: Record<string, string>, opts: RequestOptions, retried: boolean): Promise<HttpResponse> {
  const idleMs = opts.idleTimeoutMs ?? 30_000;
  const scheme = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    let body: ReturnType<typeof bodyOf> | undefined;
    const clock = {
      stop: () => clearTimeout(timer),
      arm: () => {
        clearTimeout(timer);
        timer = setTimeout(onIdle, idleMs);
      },
    };
    const req = scheme.request(url, {method: opts.method ?? 'GET', headers, agent: agentFor(url, opts.ca), signal: opts.signal});
    const onIdle = () => {
      const err = new UserError(`cannot reach ${shownUrl(url)}: timed out (nothing received for ${idleMs / 1000} s)`, {code: 'RemoteUnreachable'});
      if (body) body.fail(err);
      else req.destroy(err);
    };
    req.on('socket', (socket) => {
      clock.arm();
      if (socket.connecting) socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', clock.arm);
    });
    const failure = (err: unknown) => (opts.signal?.aborted ? opts.signal.reason : unreachable(url, err));
    req.on('error', (err) => {
      clock.stop();
      if (body) body.fail(failure(err));
      // A kept-alive connection the server closed just as we reused it: the request never reached it, so send it once more.
      else if (req.reusedSocket && (err as NodeJS.ErrnoException).code === 'ECONNRESET' && !retried) send(url, headers, opts, true).then(resolve, reject);
      else reject(failure(err));
    });
    req.on('response', (res) => {
      clock.arm();
      body = bodyOf(res, clock, failure);
      resolve({status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', headers: res.headers, url: url.href, body: body.stream});
    });
    req.end();
    clock.arm();
  });
}

const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ETIMEDOUT: 'timed out',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'temporary failure in name resolution',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

// OpenSSL's verification failures, as Node names them (tls: X509 error codes).
const CERT_ERROR = /CERT|CRL|SELF_SIGNED|UNABLE_TO_|INVALID_CA|PATH_LENGTH|INVALID_PURPOSE|HOSTNAME_MISMATCH/;

function unreachable(url: URL, err: unknown): unknown {
  if (isUserError(err) || (err instanceof Error && err.name === 'AbortError')) return err;
  const e = err as NodeJS.ErrnoException;
  const code = e.code ?? '';
  let reason: string;
  if (e.message === 'aborted') reason = 'the connection was closed before the response ended';
  else if (CERT_ERROR.test(code)) reason = `certificate verify failed: ${e.message}`;
  else if (code.startsWith('ERR_SSL') || code === 'EPROTO') reason = `TLS failed: ${e.message}`;
  else if (code.startsWith('HPE_')) reason = `not an HTTP answer: ${e.message}`;
  else reason = REASONS[code] ?? e.message;
  return new UserError(`cannot reach ${shownUrl(url)}: ${reason}`, {code: 'RemoteUnreachable', cause: err});
}

function lowerKeys(headers: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
}

/** Let go of a body nobody wants: a short one is read out so the connection can be reused, a long one cut. */
function discard(res: HttpResponse): void {
  const length = Number(res.headers['content-length']);
  if (length <= DRAIN_LIMIT) res.body.resume();
  else res.body.destroy();
}

/** Throws HttpError "<url>: HTTP <status> <text>" (draining/destroying the body) unless 2xx. */
export async function expectOk(res: HttpResponse): Promise<HttpResponse> {
  if (res.status >= 200 && res.status < 300) return res;
  discard(res);
  throw new HttpStatusError(res.status, res.url, `${shownUrl(res.url)}: HTTP ${res.status} ${res.statusText}`.trimEnd());
}

/** The whole body, refused with ResponseTooLarge ("<what>: larger than <N> bytes") as soon as Content-Length or the bytes received pass maxBytes. */
export async function readBody(res: HttpResponse, opts: {maxBytes: number; what: string}): Promise<Buffer> {
  const tooLarge = () => new UserError(`${opts.what}: larger than ${opts.maxBytes} bytes`, {code: 'ResponseTooLarge'});
  if (Number(res.headers['content-length']) > opts.maxBytes) {
    res.body.destroy();
    throw tooLarge();
  }
  const parts: Buffer[] = [];
  let total = 0;
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > opts.maxBytes) throw tooLarge();
    parts.push(chunk);
  }
  return Buffer.concat(parts, total);
}

/** JSON from a server: anything else is InvalidFeed "<what>: not JSON: <reason>". */
export function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UserError(`${what}: not JSON: ${(err as Error).message}`, {code: 'InvalidFeed'});
  }
}

/** A header's value as one string (Node gives a repeated header as a list: the first counts). */
export function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** GET, expectOk, readBody, parseJson. */
export async function getJson(
  url: string,
  opts: {maxBytes: number; headers?: Record<string, string>; signal?: AbortSignal},
): Promise<{value: unknown; text: string; response: HttpResponse}> {
  const response = await expectOk(await request(url, {headers: {accept: 'application/json', ...lowerKeys(opts.headers)}, signal: opts.signal}));
  const text = (await readBody(response, {maxBytes: opts.maxBytes, what: shownUrl(url)})).toString('utf8');
  return {value: parseJson(text, shownUrl(url)), text, response};
}
