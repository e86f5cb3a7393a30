import {InvalidImageError} from '../errors.js';

export type Compression = 'none' | 'gzip' | 'xz' | 'lzma' | 'bzip2' | 'zstd';
export type PayloadKind = 'tar' | 'squashfs' | 'qcow2';

export interface DetectedFormat {
  kind: PayloadKind;
  compression: Compression;
  /** The extension LXD gives this format in export file names, with its leading dot. */
  extension: string;
}

/** LXD reads this many bytes to sniff a format; the ustar magic ends at byte 262. */
export const SNIFF_BYTES = 263;

const startsWith = (b: Uint8Array, bytes: number[], at = 0): boolean => b.length >= at + bytes.length && bytes.every((v, i) => b[at + i] === v);
const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/**
 * Sniff an image file from its first bytes in LXD 5.0.2's order (shared/archive detect): the
 * first match wins, and extensions are never trusted. Returns null for anything LXD refuses.
 */
export function detectFormat(head: Uint8Array): DetectedFormat | null {
  if (startsWith(head, ascii('BZ'))) return {kind: 'tar', compression: 'bzip2', extension: '.tar.bz2'};
  if (startsWith(head, [0x1f, 0x8b])) return {kind: 'tar', compression: 'gzip', extension: '.tar.gz'};
  if (startsWith(head, ascii('7zXZ'), 1)) {
    // LXD takes a 7zXZ magic not preceded by 0xFD as lzma; only the xz form is real.
    return head[0] === 0xfd ? {kind: 'tar', compression: 'xz', extension: '.tar.xz'} : {kind: 'tar', compression: 'lzma', extension: '.tar.lzma'};
  }
  if (startsWith(head, [0x5d, 0x00, 0x00])) return {kind: 'tar', compression: 'lzma', extension: '.tar.lzma'};
  if (startsWith(head, ascii('ustar'), 257)) return {kind: 'tar', compression: 'none', extension: '.tar'};
  if (startsWith(head, ascii('hsqs'))) return {kind: 'squashfs', compression: 'none', extension: '.squashfs'};
  if (startsWith(head, ascii('QFI'))) return {kind: 'qcow2', compression: 'none', extension: '.qcow2'};
  if (startsWith(head, [0x28, 0xb5, 0x2f, 0xfd])) return {kind: 'tar', compression: 'zstd', extension: '.tar.zst'};
  return null;
}

const BY_EXTENSION: readonly DetectedFormat[] = [
  {kind: 'tar', compression: 'xz', extension: '.tar.xz'},
  {kind: 'tar', compression: 'gzip', extension: '.tar.gz'},
  {kind: 'tar', compression: 'bzip2', extension: '.tar.bz2'},
  {kind: 'tar', compression: 'zstd', extension: '.tar.zst'},
  {kind: 'tar', compression: 'lzma', extension: '.tar.lzma'},
  {kind: 'tar', compression: 'none', extension: '.tar'},
  {kind: 'squashfs', compression: 'none', extension: '.squashfs'},
  {kind: 'qcow2', compression: 'none', extension: '.qcow2'},
];

/**
 * What a file name suggests, for a remote file not read yet (a listing describes it so; its
 * import then sniffs the truth): undefined when the name says nothing.
 */
export function formatOfName(name: string): DetectedFormat | undefined {
  const lower = name.toLowerCase();
  return BY_EXTENSION.find((f) => lower.endsWith(f.extension));
}

/** Formats LXD refuses but that users meet, named so the refusal can say what was seen. */
function recognisedButRefused(head: Uint8Array): string | undefined {
  if (startsWith(head, [0x04, 0x22, 0x4d, 0x18])) return 'lz4';
  if (startsWith(head, ascii('PK'))) return 'zip';
  if (startsWith(head, ascii('7z\xbc\xaf\x27\x1c'))) return '7z';
  return undefined;
}

/** Like detectFormat, but refuses what LXD refuses with LXD's words ("Unsupported compression"). */
export function requireFormat(head: Uint8Array, what: string): DetectedFormat {
  const format = detectFormat(head);
  if (format) return format;
  if (head.length === 0) throw new InvalidImageError(`${what}: file is empty`, 'EmptyFile');
  const seen = recognisedButRefused(head);
  throw new InvalidImageError(
    seen ? `${what}: Unsupported compression (${seen} is not supported by LXD)` : `${what}: Unsupported compression (not a tarball, squashfs or qcow2 image)`,
    'UnsupportedCompression',
  );
}
