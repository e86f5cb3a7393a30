import {createHash, randomBytes} from 'node:crypto';
import {closeSync, openSync, writeFileSync, writeSync} from 'node:fs';
import {join} from 'node:path';
import {xzSync} from './xz.js';

/** One ustar header block for `name` (type '0' file, '5' directory). */
export function tarHeader(name: string, size: number, type = '0'): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write('0000644\0', 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(size.toString(8).padStart(11, '0') + '\0', 124);
  h.write('14524652300\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
  return h;
}

const pad = (n: number): Buffer => Buffer.alloc((512 - (n % 512)) % 512);

/** A tar archive in memory from [name, content] pairs (names ending in / are directories). */
export function tarBytes(entries: Array<[string, Buffer | string]>): Buffer {
  const parts: Buffer[] = [];
  for (const [name, content] of entries) {
    const data = Buffer.from(content);
    parts.push(tarHeader(name, name.endsWith('/') ? 0 : data.length, name.endsWith('/') ? '5' : '0'));
    if (!name.endsWith('/')) parts.push(data, pad(data.length));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

export const GOOD_META = 'architecture: x86_64\ncreation_date: 1700000000\nproperties: {os: evil, description: hostile}\n';

/** The hostile and broken images of the shared store-faults check, and a few more. */
export function writeHostileImages(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  const put = (name: string, data: Buffer) => {
    writeFileSync(join(dir, name), data);
    files[name] = join(dir, name);
  };
  let bomb = 'a: &a [' + Array(10).fill('x').join(',') + ']\n';
  for (let i = 1; i < 12; i++) {
    const k = String.fromCharCode(97 + i);
    bomb += `${k}: &${k} [${Array(10).fill('*' + String.fromCharCode(96 + i)).join(',')}]\n`;
  }
  const withRoot = (meta: string | Buffer): Buffer => tarBytes([['metadata.yaml', meta], ['rootfs/', ''], ['rootfs/etc/', ''], ['rootfs/etc/hostname', 'evil\n']]);
  put('yamlbomb.tar', withRoot(`architecture: x86_64\ncreation_date: 1700000000\n${bomb}properties: {os: *l}\n`));
  // Aliases expanded where they are decoded: a bomb that reaches a typed field.
  put('yamlbomb-templates.tar', withRoot(`architecture: x86_64\ncreation_date: 1700000000\n${bomb}templates: {/x: {when: *l}}\n`));
  const hugeMeta = Buffer.concat([Buffer.from(GOOD_META + '# '), Buffer.alloc(64 << 20, 'x'), Buffer.from('\n')]);
  put('hugemeta.tar', withRoot(hugeMeta));
  const xz = xzSync(tarBytes([['metadata.yaml', GOOD_META], ['rootfs/', ''], ['rootfs/big', randomBytes(1 << 20)]]));
  put('truncated.tar.xz', xz.subarray(0, 40));
  put('random.tar.gz', Buffer.concat([Buffer.from([0x1f, 0x8b]), randomBytes(1 << 20)]));
  put('random.bin', randomBytes(1 << 20));
  put('lz4.tar.lz4', Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18]), randomBytes(4096)]));
  put('empty.tar', Buffer.alloc(0));
  put('no-metadata.tar', tarBytes([['rootfs/', ''], ['rootfs/etc/hostname', 'x\n']]));
  put('metadata-only.tar', tarBytes([['metadata.yaml', GOOD_META]]));
  put('bad-arch.tar', withRoot('architecture: X86_64\ncreation_date: 1700000000\n'));
  put('bad-date.tar', withRoot('architecture: x86_64\ncreation_date: "2023-01-01"\n'));
  put('bad-utf8.tar', withRoot(Buffer.concat([Buffer.from('architecture: x86_64\ncreation_date: 1700000000\nproperties: {os: '), Buffer.from([0xff, 0xfe]), Buffer.from('}\n')])));
  return files;
}

/** A plain tar of `mib` MiB of random data (streamed to disk), with metadata.yaml first. */
export function writeBigImage(path: string, mib: number): string {
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, tarBytes([['metadata.yaml', GOOD_META], ['rootfs/', '']]).subarray(0, -1024));
    writeSync(fd, tarHeader('rootfs/blob', mib << 20));
    const block = randomBytes(1 << 20);
    for (let i = 0; i < mib; i++) {
      block.writeUInt32LE(i, 0);
      writeSync(fd, block);
    }
    writeSync(fd, Buffer.alloc(1024));
  } finally {
    closeSync(fd);
  }
  return path;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
