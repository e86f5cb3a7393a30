// Tar archives built byte by byte in tests, independent of the tar-stream library img uses, so
// that img's reader is judged against archives it did not write.

/** One ustar header: type '0' file, '1' hard link, '2' symlink, '5' directory. */
export function tarHeader(name: string, size: number, type = '0', link = ''): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('14524652300\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write(link, 157, 100, 'utf8');
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

export type TarEntry = {name: string; data?: string | Buffer; type?: string; link?: string};

/** A tar archive from entries; names ending in / are directories unless a type is given. */
export function tarOf(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const type = e.type ?? (e.name.endsWith('/') ? '5' : '0');
    const data = type === '0' ? Buffer.from(e.data ?? '') : Buffer.alloc(0);
    parts.push(tarHeader(e.name, data.length, type, e.link), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

/** tarOf for the common case: [name, content] pairs. */
export function tarBytes(entries: Array<[string, Buffer | string]>): Buffer {
  return tarOf(entries.map(([name, data]) => ({name, data})));
}
