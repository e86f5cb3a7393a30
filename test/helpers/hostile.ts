import {createHash, randomBytes} from 'node:crypto';
import {closeSync, openSync, writeFileSync, writeSync} from 'node:fs';
import {join} from 'node:path';
import {tarBytes, tarHeader} from './tar-bytes.js';
import {xzSync} from './xz.js';

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
    bomb += `${k}: &${k} [${Array(10)
      .fill('*' + String.fromCharCode(96 + i))
      .join(',')}]\n`;
  }
  const withRoot = (meta: string | Buffer): Buffer =>
    tarBytes([
      ['metadata.yaml', meta],
      ['rootfs/', ''],
      ['rootfs/etc/', ''],
      ['rootfs/etc/hostname', 'evil\n'],
    ]);
  put('yamlbomb.tar', withRoot(`architecture: x86_64\ncreation_date: 1700000000\n${bomb}properties: {os: *l}\n`));
  // Aliases expanded where they are decoded: a bomb that reaches a typed field.
  put('yamlbomb-templates.tar', withRoot(`architecture: x86_64\ncreation_date: 1700000000\n${bomb}templates: {/x: {when: *l}}\n`));
  const hugeMeta = Buffer.concat([Buffer.from(GOOD_META + '# '), Buffer.alloc(64 << 20, 'x'), Buffer.from('\n')]);
  put('hugemeta.tar', withRoot(hugeMeta));
  const xz = xzSync(
    tarBytes([
      ['metadata.yaml', GOOD_META],
      ['rootfs/', ''],
      ['rootfs/big', randomBytes(1 << 20)],
    ]),
  );
  put('truncated.tar.xz', xz.subarray(0, 40));
  put('random.tar.gz', Buffer.concat([Buffer.from([0x1f, 0x8b]), randomBytes(1 << 20)]));
  put('random.bin', randomBytes(1 << 20));
  put('lz4.tar.lz4', Buffer.concat([Buffer.from([0x04, 0x22, 0x4d, 0x18]), randomBytes(4096)]));
  put('empty.tar', Buffer.alloc(0));
  put(
    'no-metadata.tar',
    tarBytes([
      ['rootfs/', ''],
      ['rootfs/etc/hostname', 'x\n'],
    ]),
  );
  put('metadata-only.tar', tarBytes([['metadata.yaml', GOOD_META]]));
  put('bad-arch.tar', withRoot('architecture: X86_64\ncreation_date: 1700000000\n'));
  put('bad-date.tar', withRoot('architecture: x86_64\ncreation_date: "2023-01-01"\n'));
  put(
    'bad-utf8.tar',
    withRoot(Buffer.concat([Buffer.from('architecture: x86_64\ncreation_date: 1700000000\nproperties: {os: '), Buffer.from([0xff, 0xfe]), Buffer.from('}\n')])),
  );
  return files;
}

/** A plain tar of `mib` MiB of random data (streamed to disk), with metadata.yaml first. */
export function writeBigImage(path: string, mib: number): string {
  const fd = openSync(path, 'w');
  try {
    writeSync(
      fd,
      tarBytes([
        ['metadata.yaml', GOOD_META],
        ['rootfs/', ''],
      ]).subarray(0, -1024),
    );
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
