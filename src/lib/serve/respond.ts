/**
 * How img serve answers: documents from memory and files from disk, both with HEAD, a strong
 * ETag and If-None-Match (304); files also with a single byte range (206, or 416 past the end)
 * and If-Range. Several ranges in one request are answered with the whole file, as RFC 9110
 * allows: no client of image servers asks for them.
 */
import {createHash} from 'node:crypto';
import {constants} from 'node:fs';
import {open} from 'node:fs/promises';
import type {IncomingMessage, OutgoingHttpHeaders, ServerResponse} from 'node:http';
import {sendBytes} from './send-file.js';
import type {FileAnswer} from './types.js';

export const etagOf = (body: string | Buffer): string => `"${createHash('sha256').update(body).digest('hex')}"`;

/** Whether If-None-Match names this ETag (compared weakly, as RFC 9110 §13.1.2 says). */
export function notModified(req: IncomingMessage, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const bare = etag.replace(/^W\//, '');
  return header.split(',').some((t) => t.trim().replace(/^W\//, '') === bare);
}

/** A plain-text error or notice: never cached, never holding more than the caller wrote. */
export function sendPlain(req: IncomingMessage, res: ServerResponse, status: number, message: string, headers: OutgoingHttpHeaders = {}): void {
  const body = Buffer.from(`${message}\n`);
  res.writeHead(status, {'content-type': 'text/plain; charset=utf-8', 'content-length': body.length, 'cache-control': 'no-store', ...headers});
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Bytes in memory. A 2xx answer gets an ETag (the caller's, else the sha256 of the body) and may be a 304. */
export function sendText(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  body: string | Buffer,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const out: OutgoingHttpHeaders = {'content-type': contentType, ...lower(headers)};
  if (status >= 200 && status < 300) {
    const etag = (out.etag as string | undefined) ?? etagOf(bytes);
    out.etag = etag;
    if (notModified(req, etag)) return void res.writeHead(304, without(out, 'content-type')).end();
  }
  out['content-length'] = bytes.length;
  res.writeHead(status, out);
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendText(req, res, status, JSON.stringify(body), 'application/json', headers);
}

type Range = readonly [start: number, end: number] | 'unsatisfiable' | undefined;

/** One `bytes=` range against a size: [start, end] inclusive, 'unsatisfiable', or undefined (none, several, or malformed: send it all). */
export function parseRange(header: string | undefined, size: number): Range {
  if (header === undefined) return undefined;
  const m = /^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$/i.exec(header);
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return [Math.max(0, size - suffix), size - 1];
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  return start >= size ? 'unsatisfiable' : [start, end];
}

/**
 * A file from disk. The path comes from the catalog, never from the request; a symlink is
 * refused all the same (O_NOFOLLOW), so a link planted in the store cannot lead out of it.
 * Resolves when the body is sent or the client has gone.
 */
export async function sendFile(req: IncomingMessage, res: ServerResponse, path: string, answer: FileAnswer): Promise<void> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw Object.assign(new Error(`${path} is not a file`), {code: 'ENOENT'});
    const size = answer.size;
    const headers: OutgoingHttpHeaders = {
      'content-type': answer.contentType ?? 'application/octet-stream',
      etag: answer.etag,
      'accept-ranges': 'bytes',
      'last-modified': st.mtime.toUTCString(),
      ...lower(answer.headers ?? {}),
    };
    if (answer.filename) headers['content-disposition'] = `attachment; filename="${answer.filename.replace(/["\\\r\n]/g, '_')}"`;
    if (notModified(req, answer.etag)) return void res.writeHead(304, without(headers, 'content-type')).end();
    const ifRange = req.headers['if-range'];
    const range = ifRange === undefined || ifRange === answer.etag ? parseRange(req.headers.range, size) : undefined;
    if (range === 'unsatisfiable') {
      return void res.writeHead(416, {...without(headers, 'content-type'), 'content-range': `bytes */${size}`, 'content-length': 0}).end();
    }
    const [start, end] = range ?? [0, size - 1];
    if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    headers['content-length'] = end - start + 1;
    res.writeHead(range ? 206 : 200, headers);
    if (req.method === 'HEAD' || end < start) return void res.end();
    await sendBytes(handle, start, end - start + 1, res);
  } finally {
    await handle.close();
  }
}

function lower(headers: Record<string, string>): OutgoingHttpHeaders {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}

function without(headers: OutgoingHttpHeaders, name: string): OutgoingHttpHeaders {
  const {[name]: _, ...rest} = headers;
  return rest;
}
