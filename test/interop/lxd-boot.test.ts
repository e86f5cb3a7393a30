// A real LXD 5.0.2 boots a container from an image `img publish` made — unified tar.gz and split
// squashfs — with img's fingerprint, runs the image's /sbin/init as PID 1, renders the image's
// template (container name, trigger, template properties) into it at create time, and stops it
// cleanly. The rootfs is busybox-static and nothing else, so the test needs no network or mirror.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs';
import {machine} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {after, before, describe, test} from 'node:test';
import {seededBytes} from '../helpers/bytes.js';
import {fingerprintIn, img, type RunResult} from '../helpers/cli.js';
import {lxdSkipReason, ThrowawayLxd} from '../helpers/lxd.js';
import {tempDir} from '../helpers/tmp.js';

const BUSYBOX = '/bin/busybox';

/** Why /bin/busybox cannot be the whole userland of a container, or false when it can. */
function busyboxSkipReason(): string | false {
  let elf: Buffer;
  try {
    elf = readFileSync(BUSYBOX);
  } catch {
    return `skipped: ${BUSYBOX} missing (apt-get install busybox-static)`;
  }
  // Debian's dynamically linked busybox would need the host's libc and loader in the rootfs too:
  // look for a PT_INTERP program header in the (64-bit little-endian) ELF.
  if (elf.readUInt32BE(0) !== 0x7f454c46 || elf[4] !== 2 || elf[5] !== 1) return `skipped: ${BUSYBOX} is not a 64-bit little-endian ELF`;
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const [phentsize, phnum] = [elf.readUInt16LE(0x36), elf.readUInt16LE(0x38)];
  for (let i = 0; i < phnum; i++) {
    if (elf.readUInt32LE(phoff + i * phentsize) === 3) return `skipped: ${BUSYBOX} is dynamically linked (apt-get install busybox-static)`;
  }
  return false;
}

const skip = lxdSkipReason() || busyboxSkipReason();

// LXD stops a container by sending SIGPWR to PID 1 and waiting; a bare `sleep` as PID 1 ignores
// it (the kernel drops signals PID 1 has no handler for), so `lxc stop` would time out. `wait` is
// interrupted by a trapped signal where a foreground command is not.
const INIT = `#!/bin/sh
trap 'exit 0' PWR TERM
while :; do /bin/busybox sleep 1000 & wait $!; done
`;

const TEMPLATE = 'name={{ container.name }}\ntrigger={{ trigger }}\npath={{ path }}\ngreeting={{ properties.greeting }}\n';

// os.machine() is uname -m, which is LXD's own name for the common 64-bit hosts (x86_64, aarch64,
// ppc64le, s390x, riscv64): an image of another architecture would not be launched here.
const METADATA = `architecture: ${machine()}
creation_date: 1700000000
properties:
  os: busybox
  description: busybox-static boot test image
templates:
  /etc/from-template:
    when: [create]
    template: hello.tpl
    properties:
      greeting: hello from img
`;

/** A root filesystem of busybox-static alone, with the mount points liblxc needs (dev, proc, sys) and the usual top-level dirs. */
function makeBusyboxRootfs(dir: string): string {
  for (const d of ['bin', 'sbin', 'dev', 'proc', 'sys', 'tmp', 'etc', 'root', 'run', 'var']) mkdirSync(join(dir, d), {recursive: true});
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  const applets = spawnSync(BUSYBOX, ['--list'], {encoding: 'utf8'}).stdout.split('\n').filter(Boolean);
  assert.ok(applets.includes('sh') && applets.includes('cat') && applets.includes('sleep'), `busybox --list: ${applets.join(' ')}`);
  for (const a of applets) if (a !== 'busybox') symlinkSync('busybox', join(dir, 'bin', a));
  writeFileSync(join(dir, 'sbin/init'), INIT, {mode: 0o755});
  writeFileSync(join(dir, 'etc/hostname'), 'busybox\n');
  // 12 MiB of data: several bzip2 streams (4 MiB pieces) and gzip blocks, so LXD's unpacking of
  // img's multi-block output is checked byte for byte inside the container.
  mkdirSync(join(dir, 'opt'));
  writeFileSync(join(dir, 'opt/filler'), FILLER);
  return dir;
}

const FILLER = seededBytes(12 << 20, 42);
const FILLER_SHA256 = createHash('sha256').update(FILLER).digest('hex');

describe('LXD 5.0.2 boots what img publishes and renders its templates', {skip}, () => {
  let lxd: ThrowawayLxd;
  const work = tempDir();
  const home = join(work, 'home');
  const rootfs = join(work, 'rootfs');
  const templates = join(work, 'templates');
  const metadata = join(work, 'metadata.yaml');

  /** lxc with a time limit: a hung client fails its test instead of the whole run. */
  const lxc = (args: string[], timeout = 60_000): RunResult => {
    const r = spawnSync('lxc', args, {env: lxd.env, encoding: 'utf8', timeout, maxBuffer: 16 << 20});
    return {code: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error ? `\n${r.error.message}` : '')};
  };

  /** What to read when a container misbehaves: liblxc's log for it and the daemon's log. */
  const diagnose = (name: string): string => {
    const show = lxc(['info', '--show-log', name], 15_000);
    const log = (() => {
      try {
        return readFileSync(join(lxd.dir, 'lxd.log'), 'utf8');
      } catch {
        return '';
      }
    })();
    return `\n--- lxc info --show-log ${name}:\n${(show.stdout + show.stderr).slice(-3000)}\n--- lxd.log:\n${log.slice(-2000)}`;
  };

  /** Fail unless lxc succeeded, with the container's logs when there is one to blame. */
  const expectOk = (r: RunResult, what: string, name?: string): void => {
    if (r.code !== 0) assert.fail(`${what} exited ${r.code}: ${r.stderr}${name ? diagnose(name) : ''}`);
  };

  const status = (name: string): string | undefined => {
    const r = lxc(['query', `/1.0/instances/${name}/state`], 15_000);
    return r.code === 0 ? (JSON.parse(r.stdout) as {status?: string}).status : undefined;
  };

  const waitForStatus = async (name: string, want: string, ms = 20_000): Promise<void> => {
    const deadline = Date.now() + ms;
    let last: string | undefined;
    while ((last = status(name)) !== want && Date.now() < deadline) await sleep(200);
    if (last !== want) assert.fail(`${name} is ${last ?? 'unknown'}, not ${want}, after ${ms / 1000} s${diagnose(name)}`);
  };

  before(async () => {
    makeBusyboxRootfs(rootfs);
    mkdirSync(templates);
    writeFileSync(join(templates, 'hello.tpl'), TEMPLATE);
    writeFileSync(metadata, METADATA);
    lxd = await ThrowawayLxd.start();
    // mkdtemp made the daemon's directory 0700; an unprivileged container's root (uid 100000 on the
    // host) must pass through it to reach its rootfs, or liblxc aborts the start with "Permission
    // denied - Could not access /tmp/lxt.XXXXXX. Please grant it x access".
    chmodSync(lxd.dir, 0o711);
    // A fresh daemon has no storage pool and its default profile no root disk: importing images
    // needs neither, creating an instance both. No network device: LXD warns and starts without.
    expectOk(lxc(['storage', 'create', 'pool', 'dir']), 'lxc storage create');
    expectOk(lxc(['profile', 'device', 'add', 'default', 'root', 'disk', 'path=/', 'pool=pool']), 'lxc profile device add');
  });

  after(async () => {
    if (!lxd) return;
    // SIGTERM ends the daemon but not its containers (liblxc's monitor and the container's
    // processes outlive it, as for a daemon upgrade): delete any a failed test left behind first.
    const left = lxc(['list', '--format', 'csv', '-c', 'n'], 15_000).stdout.split('\n').filter(Boolean);
    for (const name of left) lxc(['delete', '--force', name], 30_000);
    await lxd.stop();
  });

  const variants: Array<{name: string; flags: string[]}> = [
    {name: 'unified-gzip', flags: ['--format', 'unified', '--compression', 'gzip']},
    {name: 'unified-bzip2', flags: ['--format', 'unified', '--compression', 'bzip2']},
    {name: 'split-squashfs', flags: ['--format', 'split', '--compression', 'gzip', '--rootfs-format', 'squashfs']},
  ];
  for (const v of variants) {
    test(`${v.name}: LXD launches it, runs its /sbin/init and renders its template`, async () => {
      const out = join(work, `out-${v.name}`);
      const r = img(['publish', '--rootfs', rootfs, '--metadata', metadata, '--templates', templates, ...v.flags, '--output', out], {home});
      assert.equal(r.code, 0, r.stderr);
      const fp = fingerprintIn(r.stdout);
      assert.ok(fp, r.stdout);
      // lxc image import takes the metadata tarball first.
      const files = readdirSync(out)
        .sort((a, b) => Number(b.startsWith('meta-')) - Number(a.startsWith('meta-')))
        .map((f) => join(out, f));
      assert.equal(files.length, v.name.startsWith('split') ? 2 : 1, files.join(' '));
      const imported = lxd.importImage(files);
      assert.equal(imported.fingerprint, fp, `LXD reports img's fingerprint (${imported.error ?? ''})`);

      const name = `boot-${v.name}`;
      expectOk(lxc(['launch', fp!, name]), 'lxc launch', name);
      await waitForStatus(name, 'Running');

      const pid1 = lxc(['exec', name, '--', '/bin/cat', '/proc/1/cmdline'], 30_000);
      expectOk(pid1, 'lxc exec cat /proc/1/cmdline', name);
      assert.equal(pid1.stdout.split('\0').filter(Boolean).join(' '), '/bin/sh /sbin/init', "PID 1 is the image's /sbin/init");

      const rendered = lxc(['exec', name, '--', '/bin/cat', '/etc/from-template'], 30_000);
      expectOk(rendered, 'lxc exec cat /etc/from-template', name);
      assert.equal(rendered.stdout, `name=${name}\ntrigger=create\npath=/etc/from-template\ngreeting=hello from img\n`);

      const sum = lxc(['exec', name, '--', '/bin/sha256sum', '/opt/filler'], 30_000);
      expectOk(sum, 'lxc exec sha256sum /opt/filler', name);
      assert.equal(sum.stdout.split(' ')[0], FILLER_SHA256, 'LXD unpacked the rootfs byte for byte');

      expectOk(lxc(['stop', name, '--timeout', '20']), 'lxc stop (a clean shutdown: SIGPWR to PID 1)', name);
      await waitForStatus(name, 'Stopped');
      expectOk(lxc(['delete', name]), 'lxc delete');
      expectOk(lxc(['image', 'delete', fp!]), 'lxc image delete');
    });
  }
});
