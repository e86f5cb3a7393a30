import {execFileSync} from 'node:child_process';
import {chmodSync, mkdirSync, symlinkSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';

export const METADATA = `architecture: x86_64
creation_date: 1700000000
properties:
  os: tinyos
  release: "1.0"
  description: tinyos 1.0 test image
templates:
  /etc/hostname:
    when: [create, copy]
    template: hostname.tpl
`;

/** A small rootfs with a few kinds of entries, deterministic but for `seed`. */
export function makeRootfs(dir: string, seed = 'tiny'): string {
  mkdirSync(join(dir, 'etc'), {recursive: true});
  mkdirSync(join(dir, 'bin'), {recursive: true});
  mkdirSync(join(dir, 'usr/share/doc'), {recursive: true});
  mkdirSync(join(dir, 'var/empty'), {recursive: true});
  writeFileSync(join(dir, 'etc/hostname'), `${seed}\n`);
  writeFileSync(join(dir, 'etc/os-release'), 'NAME="tinyos"\nVERSION_ID="1.0"\n');
  const blob = Buffer.alloc(300_000);
  for (let i = 0; i < blob.length; i++) blob[i] = (i * 7919 + seed.length * 31) & 0xff;
  writeFileSync(join(dir, 'bin/blob'), blob);
  chmodSync(join(dir, 'bin/blob'), 0o755);
  writeFileSync(join(dir, 'usr/share/doc/numbers.txt'), Array.from({length: 2000}, (_, i) => String(i)).join('\n'));
  symlinkSync('../etc/os-release', join(dir, 'usr/os-release'));
  return dir;
}

/** The files of a unified image source tree: metadata.yaml, templates/, rootfs/. */
export function makeImageTree(dir: string, opts: {metadata?: string; seed?: string} = {}): string {
  mkdirSync(join(dir, 'templates'), {recursive: true});
  writeFileSync(join(dir, 'metadata.yaml'), opts.metadata ?? METADATA);
  writeFileSync(join(dir, 'templates/hostname.tpl'), '{{ container.name }}\n');
  makeRootfs(join(dir, 'rootfs'), opts.seed);
  return dir;
}

/** GNU tar, as an independent writer of test archives. */
export function tar(args: string[], cwd?: string): void {
  execFileSync('tar', args, {cwd, stdio: ['ignore', 'ignore', 'pipe']});
}

/** A unified tarball of an image tree, compressed with `-z`, `-J`… or plain. */
export function unifiedTarball(tree: string, out: string, flag = ''): string {
  tar([`-c${flag}f`, out, '-C', tree, 'metadata.yaml', 'templates', 'rootfs']);
  return out;
}
