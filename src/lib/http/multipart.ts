/**
 * A streaming reader of multipart bodies, for the split images an LXD server exports
 * (../shared/spec/lxd-images.md §5.5). A part's bytes are handed on as slices of the chunks read,
 * never gathered: only a part's headers (capped) and a delimiter's worth of bytes at a chunk's end
 * are ever kept. Delimiters are recognised as Go's mime/multipart recognises them, since LXD's
 * client is what img must agree with.
 */
import {UserError} from '../errors.js';

/** The parts of an LXD split export, in order: LXD's client refuses any other names. */
export const LXD_EXPORT_PARTS: ReadonlyArray<readonly string[]> = [['metadata'], ['rootfs', 'rootfs.img']];

/** Go's textproto has no single-header cap; a part header of LXD's is under 200 bytes. */
const MAX_HEADER_BYTES = 16 << 10;

export interface PartHead {
  index: number;
  /** The form field's name (Go's FormName: empty unless the disposition is form-data). */
  name: string;
  filename: string;
  /** Header names in lower case. */
  headers: Record<string, string>;
}

/** A part and its bytes; `body` must be read (or left) before the next part is asked for. Each chunk is valid until the next is asked for. */
export interface Part extends PartHead {
  body: AsyncGenerator<Buffer, void, undefined>;
}

export interface MultipartOptions {
  boundary: string;
  /** Names each part may have, by position: exactly this many parts are accepted. */
  names?: ReadonlyArray<readonly string[]>;
  /** Cap on a part's headers and on the bytes before the first delimiter. */
  maxHeaderBytes?: number;
  /** What the body is (a URL), for messages. */
  what?: string;
}

/** LXD's client says "Invalid multipart image" for every malformed export; img adds what was wrong. */
function invalid(what: string, why: string): UserError {
  return new UserError(`${what}: Invalid multipart image: ${why}`, {code: 'InvalidMultipart'});
}

/** A `Content-Type`'s (or `Content-Disposition`'s) type, in lower case, and parameters, quoted strings unescaped. */
export function parseMediaType(value: string): {type: string; params: Record<string, string>} {
  const semi = value.indexOf(';');
  const params: Record<string, string> = {};
  for (const m of value.slice(semi < 0 ? value.length : semi).matchAll(/;\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g)) {
    const v = m[2]!.trim();
    params[m[1]!.toLowerCase()] = v.startsWith('"') ? v.slice(1, -1).replace(/\\(.)/g, '$1') : v;
  }
  return {type: (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase(), params};
}

/** The boundary of a multipart `Content-Type`, or undefined when the body is not multipart. */
export function multipartBoundary(contentType: string | undefined, what = 'response'): string | undefined {
  if (contentType === undefined) return undefined;
  const {type, params} = parseMediaType(contentType);
  if (!type.startsWith('multipart/')) return undefined;
  const boundary = params.boundary;
  // RFC 2046: 1 to 70 characters; an empty one would match any "\r\n--".
  if (!boundary || boundary.length > 70) throw invalid(what, `no usable boundary in Content-Type "${contentType}"`);
  return boundary;
}

type Event = {kind: 'head'; head: PartHead} | {kind: 'data'; data: Buffer} | {kind: 'end'};

const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);

/** The pure state machine: chunks in, events out. */
class Scanner {
  private state: 'preamble' | 'line' | 'headers' | 'body' | 'done' = 'preamble';
  // Treated as if preceded by CRLF, so the first delimiter matches like the others.
  private carry: Buffer = CRLF;
  private preamble = 0;
  private index = 0;
  private readonly delimiter: Buffer;

  constructor(
    boundary: string,
    private readonly max: number,
    private readonly what: string,
  ) {
    this.delimiter = Buffer.from(`\r\n--${boundary}`);
  }

  get done(): boolean {
    return this.state === 'done';
  }

  push(chunk: Buffer, out: Event[]): void {
    const buf = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = EMPTY;
    let pos = 0;
    while (this.state !== 'done') {
      if (this.state === 'preamble' || this.state === 'body') {
        const {end, found} = this.findDelimiter(buf, pos);
        if (this.state === 'body' && end > pos) out.push({kind: 'data', data: buf.subarray(pos, end)});
        if (this.state === 'preamble' && (this.preamble += end - pos) > this.max) throw invalid(this.what, 'no boundary where the body starts');
        if (!found) {
          this.keep(buf, end);
          return;
        }
        if (this.state === 'body') out.push({kind: 'end'});
        pos = end + this.delimiter.length;
        this.state = 'line';
      } else if (this.state === 'line') {
        // A close delimiter needs nothing after it: what follows (LXD's second one) is never read.
        if (buf[pos] === 0x2d && buf[pos + 1] === 0x2d) {
          this.state = 'done';
          return;
        }
        const nl = buf.indexOf(0x0a, pos);
        if (nl < 0 && buf.length - pos > this.max) throw invalid(this.what, 'garbage after a boundary');
        if (nl < 0) return this.keep(buf, pos);
        const line = buf.toString('latin1', pos, nl);
        if (/^[ \t]*\r?$/.test(line)) this.state = 'headers';
        else throw invalid(this.what, 'garbage after a boundary');
        pos = nl + 1;
      } else {
        const end = buf.subarray(pos, pos + 2).equals(CRLF) ? pos : buf.indexOf('\r\n\r\n', pos);
        if (end < 0 && buf.length - pos > this.max) throw invalid(this.what, `part header over ${this.max} bytes`);
        if (end < 0) return this.keep(buf, pos);
        if (end - pos > this.max) throw invalid(this.what, `part header over ${this.max} bytes`);
        out.push({kind: 'head', head: this.head(buf.toString('utf8', pos, end))});
        pos = end === pos ? end + 2 : end + 4;
        this.state = 'body';
      }
    }
  }

  /** The source ended: it must have ended after a close delimiter. */
  finish(): void {
    if (this.state !== 'done') throw invalid(this.what, 'the body ends before its closing boundary (truncated)');
  }

  private keep(buf: Buffer, from: number): void {
    // A copy: the source may reuse its chunks.
    this.carry = Buffer.from(buf.subarray(from));
  }

  /**
   * Where the next delimiter starts (found), or how far bytes are surely data (not found). Go's
   * rule: "\r\n--boundary" is a delimiter only when followed by "--", a space, a tab, CR or LF.
   */
  private findDelimiter(buf: Buffer, from: number): {end: number; found: boolean} {
    const d = this.delimiter;
    for (let at = from; ;) {
      const i = buf.indexOf(d, at);
      if (i < 0) return {end: this.safeEnd(buf, Math.max(at, buf.length - d.length + 1)), found: false};
      const c = buf[i + d.length];
      if (c === undefined || (c === 0x2d && buf[i + d.length + 1] === undefined)) return {end: i, found: false};
      if (c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a || (c === 0x2d && buf[i + d.length + 1] === 0x2d)) return {end: i, found: true};
      at = i + 1;
    }
  }

  /** The start of the longest tail of `buf` (from `from` on) that could begin a delimiter. */
  private safeEnd(buf: Buffer, from: number): number {
    for (let i = Math.max(from, 0); i < buf.length; i++) {
      if (buf[i] === 0x0d && this.delimiter.subarray(0, buf.length - i).equals(buf.subarray(i))) return i;
    }
    return buf.length;
  }

  private head(text: string): PartHead {
    const headers: Record<string, string> = {};
    let last: string | undefined;
    for (const line of text === '' ? [] : text.split('\r\n')) {
      if ((line.startsWith(' ') || line.startsWith('\t')) && last) {
        headers[last] += ` ${line.trim()}`;
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) throw invalid(this.what, `malformed part header line "${line.slice(0, 80)}"`);
      last = line.slice(0, colon).trim().toLowerCase();
      headers[last] = line.slice(colon + 1).trim();
    }
    const disposition = parseMediaType(headers['content-disposition'] ?? '');
    const name = disposition.type === 'form-data' ? (disposition.params.name ?? '') : '';
    return {index: this.index++, name, filename: disposition.params.filename ?? '', headers};
  }
}

/**
 * Read a multipart body part by part, stopping at the first close delimiter (LXD 5.0.2 writes it
 * twice). A body that ends before it, a part of an unexpected name or a header over the cap is
 * refused with InvalidMultipart. Back-pressure is the reader's: nothing is read until asked for.
 *
 * @example
 * for await (const part of parseMultipart(res.body, {boundary, names: LXD_EXPORT_PARTS})) {
 *   for await (const chunk of part.body) await file.write(chunk);
 * }
 */
export async function* parseMultipart(body: AsyncIterable<Uint8Array>, opts: MultipartOptions): AsyncGenerator<Part, void, undefined> {
  const what = opts.what ?? 'multipart body';
  const scanner = new Scanner(opts.boundary, opts.maxHeaderBytes ?? MAX_HEADER_BYTES, what);
  const source = body[Symbol.asyncIterator]();
  const queue: Event[] = [];
  let head = 0;
  const next = async (): Promise<Event | undefined> => {
    while (head === queue.length) {
      queue.length = head = 0;
      if (scanner.done) return undefined;
      const r = await source.next();
      if (r.done) scanner.finish();
      else scanner.push(Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength), queue);
    }
    return queue[head++];
  };
  let inPart = false;
  let parts = 0;
  async function* partBody(): AsyncGenerator<Buffer, void, undefined> {
    while (inPart) {
      const e = await next();
      if (e?.kind === 'data') yield e.data;
      else inPart = false;
    }
  }
  try {
    for (;;) {
      const e = await next();
      if (e === undefined) break;
      if (e.kind !== 'head') continue;
      const allowed = opts.names?.[e.head.index];
      if (opts.names && !allowed) throw invalid(what, `more than ${opts.names.length} parts`);
      if (allowed && !allowed.includes(e.head.name))
        throw invalid(what, `part ${e.head.index + 1} is named "${e.head.name}", not ${allowed.map((n) => `"${n}"`).join(' or ')}`);
      inPart = true;
      parts++;
      yield {...e.head, body: partBody()};
      // Whatever the reader left of the part is skipped.
      while (inPart) if ((await next())?.kind !== 'data') inPart = false;
    }
    if (opts.names && parts < opts.names.length) throw invalid(what, `${parts} part(s), not ${opts.names.length}`);
  } finally {
    await source.return?.();
  }
}
