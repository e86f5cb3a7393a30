/**
 * Tar headers as img writes them: ustar, with a pax extended header for what ustar cannot hold (a
 * name that does not fit its fields or is not ASCII, a link target over 100 bytes, an owner id
 * over 7 octal digits). For everything tar-stream encodes correctly the bytes are tar-stream's,
 * so an image packs to the same fingerprint as before this encoder; where it did not (mode 0
 * written as 0644, owner ids over 262143 clipped to 777777) these headers keep the true value.
 */

export type EntryType = 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo';

export interface TarEntry {
  name: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  /** Seconds since the epoch. */
  mtime: number;
  size: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

const TYPEFLAG: Record<EntryType | 'pax', number> = {
  file: 0x30,
  link: 0x31,
  symlink: 0x32,
  'character-device': 0x33,
  'block-device': 0x34,
  directory: 0x35,
  fifo: 0x36,
  pax: 0x78,
};

export const BLOCK = 512;
/** The end of an archive: two zero blocks. */
export const END_OF_ARCHIVE = Buffer.alloc(2 * BLOCK);
const USTAR = Buffer.from('ustar\x0000', 'latin1');
/** The largest id the 8-byte field holds as octal digits and a NUL. */
const MAX_ID = 0o7777777;

/** Zero bytes that pad `size` bytes of data to a whole block. */
export function padding(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** The header block(s) for one entry: 512 bytes, or a pax header, its records and then 512 bytes. */
export function encodeHeader(e: TarEntry): Buffer {
  const split = splitName(e.name);
  const longLink = e.linkname !== undefined && Buffer.byteLength(e.linkname) > 100;
  if (split && !longLink && e.uid <= MAX_ID && e.gid <= MAX_ID) return block(e, split.name, split.prefix, e.type, e.size, e.linkname);
  // tar-stream's layout: records for the path and any link target, and the pax header and the
  // entry's own header both named "PaxHeader" (readers take the names from the records).
  const pax: Array<[string, string]> = [['path', e.name]];
  if (e.linkname) pax.push(['linkpath', e.linkname]);
  if (e.uid > MAX_ID) pax.push(['uid', String(e.uid)]);
  if (e.gid > MAX_ID) pax.push(['gid', String(e.gid)]);
  const records = Buffer.from(pax.map(([k, v]) => paxRecord(k, v)).join(''));
  const link = e.linkname ? 'PaxHeader' : undefined;
  return Buffer.concat([
    block(e, 'PaxHeader', '', 'pax', records.length, link),
    records,
    Buffer.alloc(padding(records.length)),
    block(e, 'PaxHeader', '', e.type, e.size, link),
  ]);
}

function block(e: TarEntry, name: string, prefix: string, type: EntryType | 'pax', size: number, linkname: string | undefined): Buffer {
  const buf = Buffer.alloc(BLOCK);
  buf.write(name, 0, 100, 'utf8');
  octal(buf, 100, e.mode & 0o7777);
  id(buf, 108, e.uid);
  id(buf, 116, e.gid);
  encodeSize(buf, size);
  // A time before 1970 would need GNU's base-256 form; such a file gets the epoch instead.
  buf.write(octalDigits(Math.max(0, Math.floor(e.mtime)), 11) + ' ', 136, 'latin1');
  buf[156] = TYPEFLAG[type];
  if (linkname) buf.write(linkname, 157, 100, 'utf8');
  USTAR.copy(buf, 257);
  octal(buf, 329, e.devmajor ?? 0);
  octal(buf, 337, e.devminor ?? 0);
  if (prefix) buf.write(prefix, 345, 155, 'utf8');
  let sum = 8 * 0x20;
  for (let i = 0; i < 148; i++) sum += buf[i]!;
  for (let i = 156; i < BLOCK; i++) sum += buf[i]!;
  buf.write(octalDigits(sum, 6) + ' ', 148, 'latin1');
  return buf;
}

/** ustar's name and prefix fields for `name`, as tar-stream splits it; undefined when they cannot hold it. */
function splitName(full: string): {name: string; prefix: string} | undefined {
  if (!isAscii(full)) return undefined;
  let name = full;
  let prefix = '';
  while (name.length > 100) {
    const i = name.indexOf('/');
    if (i === -1) return undefined;
    prefix += prefix ? '/' + name.slice(0, i) : name.slice(0, i);
    name = name.slice(i + 1);
  }
  return prefix.length > 155 ? undefined : {name, prefix};
}

function isAscii(s: string): boolean {
  return Buffer.byteLength(s) === s.length;
}

function octalDigits(n: number, width: number): string {
  return n.toString(8).padStart(width, '0');
}

/** Six octal digits and a space, as tar-stream writes mode, ids and device numbers. */
function octal(buf: Buffer, offset: number, n: number): void {
  const digits = n.toString(8);
  buf.write(digits.length > 6 ? '777777 ' : octalDigits(n, 6) + ' ', offset, 'latin1');
}

/** An owner id: six digits as tar-stream writes it, seven where needed; above that the pax record holds it. */
function id(buf: Buffer, offset: number, n: number): void {
  if (n <= 0o777777) octal(buf, offset, n);
  else buf.write(n <= MAX_ID ? octalDigits(n, 7) : '7777777', offset, 'latin1');
}

/** Eleven octal digits, or GNU's base-256 form for 8 GiB and over (what GNU tar and tar-stream read). */
function encodeSize(buf: Buffer, size: number): void {
  if (size <= 0o77777777777) {
    buf.write(octalDigits(size, 11) + ' ', 124, 'latin1');
    return;
  }
  buf[124] = 0x80;
  let n = size;
  for (let i = 11; i > 0; i--) {
    buf[124 + i] = n % 256;
    n = Math.floor(n / 256);
  }
}

/** One pax record, "<length> <key>=<value>\n", the length counting its own digits. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  const len = Buffer.byteLength(rest);
  let digits = String(len).length;
  if (String(len + digits).length > digits) digits++;
  return `${len + digits}${rest}`;
}
