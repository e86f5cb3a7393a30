// Loopback HTTP(S) servers for tests: a test CA made with openssl, and a static file server with
// the knobs remote tests need (ranges, validators, throttled or cut bodies, redirects, custom
// routes). Node reads NODE_EXTRA_CA_CERTS only at start-up, so code that must trust the test CA
// runs in a child process: runWithCa() here, or the spawned `img` of a CLI test. Over 250 lines:
// one server with every knob the remote tests share, rather than a variant per test file.
import {execFile, spawnSync} from 'node:child_process';
import {createReadStream, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {realpath, stat} from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type {AddressInfo} from 'node:net';
import {join, resolve, sep} from 'node:path';
import {PROJECT} from './cli.js';

export interface TestCa {
  /** Path of the CA certificate (PEM): what NODE_EXTRA_CA_CERTS names. */
  caCert: string;
  /** Path of the server certificate for 127.0.0.1 and localhost, signed by the CA. */
  cert: string;
  /** Path of the server certificate's key. */
  key: string;
}

let ca: TestCa | undefined;

/** Run openssl with `args` (words without spaces) in `cwd`. */
function openssl(args: string, cwd: string): void {
  const r = spawnSync('openssl', args.split(' '), {cwd, encoding: 'utf8'});
  if (r.status !== 0) throw new Error(`openssl ${args} failed: ${r.error?.message ?? r.stderr}`);
}

/** A test CA and a server certificate for IP:127.0.0.1 and DNS:localhost, made once per process (in the first `dir` given). */
export function makeTestCa(dir: string): TestCa {
  if (ca) return ca;
  const d = join(dir, 'test-ca');
  mkdirSync(d, {recursive: true});
  const ec = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
  openssl(`req -x509 ${ec} -keyout ca.key -out ca.crt -days 3650 -subj /CN=img-test-CA`, d);
  openssl(`req ${ec} -keyout server.key -out server.csr -subj /CN=localhost`, d);
  const ext = [
    'subjectAltName=IP:127.0.0.1,DNS:localhost',
    'basicConstraints=CA:FALSE',
    'keyUsage=digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
  ];
  writeFileSync(join(d, 'server.ext'), ext.join('\n') + '\n');
  openssl('x509 -req -in server.csr -CA ca.crt -CAkey ca.key -set_serial 2 -days 3650 -extfile server.ext -out server.crt', d);
  ca = {caCert: join(d, 'ca.crt'), cert: join(d, 'server.crt'), key: join(d, 'server.key')};
  return ca;
}

/**
 * Run an ES module `code` in a child node (with tsx, in the project) that trusts `caCert`; `args` are
 * its process.argv.slice(1). Its stdout is parsed as JSON when it is JSON.
 */
export function runWithCa(caCert: string, code: string, args: string[] = []): Promise<{code: number; stdout: string; stderr: string; json?: unknown}> {
  const argv = ['--import', 'tsx', '--input-type=module', '-e', code, ...args];
  const env = {...process.env, NODE_EXTRA_CA_CERTS: caCert};
  return new Promise((done) => {
    execFile(process.execPath, argv, {cwd: PROJECT, env, maxBuffer: 64 << 20}, (err, stdout, stderr) => {
      const status = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      let json: unknown;
      try {
        json = JSON.parse(stdout);
      } catch {
        json = undefined;
      }
      done({code: status, stdout, stderr, ...(json === undefined ? {} : {json})});
    });
  });
}

export interface LoggedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  /** The status answered, once the answer is sent. */
  status?: number;
}

export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse) => unknown;

export interface StaticServerOptions {
  /** Paths of a certificate and key (makeTestCa's cert and key): serve https. */
  tls?: {cert: string; key: string};
  /** Accept-Ranges and Range (206/416); default true. */
  ranges?: boolean;
  /** An ETag from size and mtime; default true. */
  etags?: boolean;
  /** Last-Modified; default true. */
  lastModified?: boolean;
}

/** Files under `root` served on 127.0.0.1, GET and HEAD, as a plain web server or CDN would. */
export class StaticServer {
  readonly requests: LoggedRequest[] = [];
  /** TCP (or TLS) connections accepted: tells whether clients reuse them. */
  connections = 0;
  private bytesPerSecond: number | undefined;
  private readonly cuts = new Map<string, number>();
  private readonly redirects = new Map<string, {to: string; status: number}>();
  private readonly routes = new Map<string, RouteHandler>();

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    private readonly root: string,
    private readonly opts: StaticServerOptions,
  ) {}

  static async start(root: string, opts: StaticServerOptions = {}): Promise<StaticServer> {
    const server = opts.tls ? https.createServer({cert: readFileSync(opts.tls.cert), key: readFileSync(opts.tls.key)}) : http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const {port} = server.address() as AddressInfo;
    const s = new StaticServer(server, `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`, await realpath(root), opts);
    server.on(opts.tls ? 'secureConnection' : 'connection', () => s.connections++);
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      s.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(err));
        else res.destroy();
      });
    });
    return s;
  }

  /** Forget the request log. */
  reset(): void {
    this.requests.length = 0;
  }

  /** Send file bodies at about this rate (undefined: full speed), so a test can stop a client mid-download. */
  throttle(bytesPerSecond: number | undefined): void {
    this.bytesPerSecond = bytesPerSecond;
  }

  /** The next body served for `path` stops after `nBytes`: the connection is closed midway, the client gets exactly those bytes. */
  failNext(path: string, _how: 'reset-after', nBytes: number): void {
    this.cuts.set(path, nBytes);
  }

  /** Answer `fromPath` with a redirect to `toUrl` (absolute or relative). */
  redirect(fromPath: string, toUrl: string, status = 302): void {
    this.redirects.set(fromPath, {to: toUrl, status});
  }

  /** Answer `path` (without the query) with `handler` instead of a file. */
  route(path: string, handler: RouteHandler): void {
    this.routes.set(path, handler);
  }

  async stop(): Promise<void> {
    const closed = new Promise<void>((r) => this.server.close(() => r()));
    this.server.closeAllConnections();
    await closed;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const entry: LoggedRequest = {method: req.method ?? '', path, headers: req.headers};
    this.requests.push(entry);
    res.once('close', () => (entry.status = res.statusCode));
    const redirect = this.redirects.get(path);
    if (redirect) return void res.writeHead(redirect.status, {location: redirect.to, 'content-length': 0}).end();
    const route = this.routes.get(path);
    if (route) return void (await route(req, res));
    if (req.method !== 'GET' && req.method !== 'HEAD') return void res.writeHead(405, {allow: 'GET, HEAD', 'content-length': 0}).end();
    const file = await this.resolve(path);
    if (file === 'outside') return void res.writeHead(403, {'content-length': 0}).end();
    const st = file === undefined ? undefined : await stat(file).catch(() => undefined);
    if (file === undefined || !st?.isFile()) return void res.writeHead(404, {'content-type': 'text/plain', 'content-length': 10}).end('not found\n');
    const etag = `"${st.size.toString(16)}-${Math.round(st.mtimeMs * 1000).toString(16)}"`;
    const modified = st.mtime.toUTCString();
    const headers: http.OutgoingHttpHeaders = {'content-type': 'application/octet-stream'};
    if (this.opts.etags !== false) headers.etag = etag;
    if (this.opts.lastModified !== false) headers['last-modified'] = modified;
    if (this.opts.ranges !== false) headers['accept-ranges'] = 'bytes';
    if (notModified(req, headers.etag as string | undefined, this.opts.lastModified === false ? undefined : st.mtime)) {
      return void res.writeHead(304, headers).end();
    }
    let start = 0;
    let end = st.size - 1;
    let status = 200;
    const range = this.opts.ranges === false ? undefined : parseRange(req.headers.range, st.size);
    const ifRange = req.headers['if-range'] as string | undefined;
    const rangeApplies = range !== undefined && (ifRange === undefined || ifRange === headers.etag || (!ifRange.startsWith('"') && ifRange === modified));
    if (rangeApplies && range === 'unsatisfiable') {
      return void res.writeHead(416, {...headers, 'content-range': `bytes */${st.size}`, 'content-length': 0}).end();
    }
    if (rangeApplies && range !== 'unsatisfiable') {
      [start, end] = range;
      status = 206;
      headers['content-range'] = `bytes ${start}-${end}/${st.size}`;
    }
    headers['content-length'] = end - start + 1;
    res.writeHead(status, headers);
    if (req.method === 'HEAD' || end < start) return void res.end();
    await this.sendBody(path, res, createReadStream(file, {start, end, highWaterMark: 256 << 10}));
  }

  /** Write a body with the throttle and the one-shot cut applied, minding back-pressure and a client that left. */
  private async sendBody(path: string, res: http.ServerResponse, chunks: AsyncIterable<Buffer>): Promise<void> {
    let cut = this.cuts.get(path);
    this.cuts.delete(path);
    for await (let chunk of chunks) {
      if (cut !== undefined && chunk.length >= cut) {
        if (cut > 0) res.write(chunk.subarray(0, cut));
        // Closed after the bytes are sent, not reset: a reset can overtake them and drop what the client has not read
        // yet, so a test could not know how much arrived.
        res.socket?.destroySoon();
        return;
      }
      if (cut !== undefined) cut -= chunk.length;
      while (chunk.length > 0) {
        if (res.destroyed) return;
        const rate = this.bytesPerSecond;
        const piece = rate === undefined ? chunk : chunk.subarray(0, Math.max(1, Math.floor(rate / 20)));
        chunk = chunk.subarray(piece.length);
        if (!res.write(piece)) await drainOrClose(res);
        if (rate !== undefined) await new Promise((r) => setTimeout(r, (piece.length / rate) * 1000));
      }
    }
    res.end();
  }

  /** The real path of a file under root, 'outside' for a path that leaves it (.., or a symlink out), undefined when missing. */
  private async resolve(path: string): Promise<string | 'outside' | undefined> {
    let decoded: string;
    try {
      decoded = decodeURIComponent(path);
    } catch {
      return 'outside';
    }
    const wanted = resolve(this.root, '.' + decoded);
    if (wanted !== this.root && !wanted.startsWith(this.root + sep)) return 'outside';
    const real = await realpath(wanted).catch(() => undefined);
    if (real === undefined) return undefined;
    return real === this.root || real.startsWith(this.root + sep) ? real : 'outside';
  }
}

/** Wait until `res` takes more, or is gone; no listener is left behind. */
export function drainOrClose(res: http.ServerResponse): Promise<void> {
  return new Promise((r) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      r();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

function notModified(req: http.IncomingMessage, etag: string | undefined, mtime: Date | undefined): boolean {
  const inm = req.headers['if-none-match'];
  if (inm !== undefined) {
    if (etag === undefined) return false;
    const weakless = (t: string) => t.trim().replace(/^W\//, '');
    return inm.trim() === '*' || inm.split(',').some((t) => weakless(t) === weakless(etag));
  }
  const ims = req.headers['if-modified-since'];
  if (ims === undefined || mtime === undefined) return false;
  const since = Date.parse(ims);
  return !Number.isNaN(since) && Math.floor(mtime.getTime() / 1000) <= Math.floor(since / 1000);
}

/** A single `bytes=` range as [start, end] (inclusive), 'unsatisfiable', or undefined when absent or not understood (then the whole file is sent). */
function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  const [, first = '', last = ''] = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '') ?? [];
  if (first + last === '') return undefined;
  const [start, end] = first === '' ? [Math.max(0, size - Number(last)), size - 1] : [Number(first), last === '' ? size - 1 : Math.min(Number(last), size - 1)];
  if (start >= size || (first === '' && Number(last) === 0)) return 'unsatisfiable';
  return end < start ? undefined : [start, end];
}
