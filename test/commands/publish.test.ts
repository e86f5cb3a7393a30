// `img publish --rootfs` as users drive it (LXD's verdict on its images is in
// test/interop/lxd-fingerprints.test.ts; the builder's details in test/lib/build.test.ts).
import assert from 'node:assert/strict';
import {execFileSync, spawn, spawnSync} from 'node:child_process';
import {once} from 'node:events';
import {mkdirSync, readdirSync, writeFileSync} from 'node:fs';
import {availableParallelism} from 'node:os';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {fingerprintIn, hasCommand, img, imgAsync, IMG_BIN, isCleanError} from '../helpers/cli.js';
import {makeImageTree} from '../helpers/images.js';
import {tempDir} from '../helpers/tmp.js';

const work = tempDir();
const tree = makeImageTree(join(work, 'tree'));
const base = ['publish', '--rootfs', join(tree, 'rootfs'), '--metadata', join(tree, 'metadata.yaml'), '--templates', join(tree, 'templates')];

describe('img publish', () => {
  test('prints the fingerprint; publishing the same input again finds it in the store and re-points aliases', () => {
    const home = join(work, 'home');
    const env = {SOURCE_DATE_EPOCH: '1700000000'};
    const first = img([...base, '--alias', 'one'], {home, env});
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, '', 'no progress when stderr is not a terminal');
    const fp = fingerprintIn(first.stdout)!;
    assert.equal(first.stdout, `Image published with fingerprint: ${fp}\n`);
    const again = img([...base, '--alias', 'two'], {home, env});
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, `Image published with fingerprint: ${fp} (already in the store)\n`);
    const info = JSON.parse(img(['image', 'info', fp, '--format', 'json'], {home}).stdout) as {
      aliases: Array<{name: string}>;
      filename: string;
      created_at: string;
    };
    assert.deepEqual(
      info.aliases.map((a) => a.name),
      ['one', 'two'],
    );
    assert.equal(info.filename, '', 'as lxc publish: no file name');
    assert.equal(info.created_at, '2023-11-14T22:13:20Z', 'from metadata.yaml');
  });

  test('key=value properties merge into metadata.yaml; --output holds exactly the image files', () => {
    const home = join(work, 'home-props');
    const out = join(work, 'out-props');
    const r = img([...base, 'release=2.0', 'extra=yes', '--format', 'split', '--output', out], {home});
    assert.equal(r.code, 0, r.stderr);
    const fp = fingerprintIn(r.stdout)!;
    assert.deepEqual(readdirSync(out).sort(), [`${fp}.tar.gz`, `meta-${fp}.tar.gz`]);
    const meta = execFileSync('tar', ['-xzOf', join(out, `meta-${fp}.tar.gz`), 'metadata.yaml'], {encoding: 'utf8'});
    assert.match(meta, /\n {2}os: tinyos\n/, "the file's own properties are kept");
    assert.match(meta, /\n {2}release: "2\.0"\n/);
    assert.match(meta, /\n {2}extra: "yes"\n/);
    const props = (JSON.parse(img(['image', 'info', fp, '--format', 'json'], {home}).stdout) as {properties: Record<string, string>}).properties;
    assert.deepEqual(props, {description: 'tinyos 1.0 test image', extra: 'yes', os: 'tinyos', release: '2.0'});
  });

  test("without --metadata: this host's architecture and SOURCE_DATE_EPOCH as creation date", () => {
    const home = join(work, 'home-bare');
    const r = img(['publish', '--rootfs', join(tree, 'rootfs'), 'os=bare'], {home, env: {SOURCE_DATE_EPOCH: '1600000000'}});
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(img(['image', 'info', fingerprintIn(r.stdout)!, '--format', 'json'], {home}).stdout) as Record<string, unknown>;
    assert.equal(info.architecture, process.arch === 'x64' ? 'x86_64' : info.architecture);
    assert.equal(info.created_at, '2020-09-13T12:26:40Z');
    assert.deepEqual(info.properties, {os: 'bare'});
  });

  test('a template that metadata.yaml names but --templates lacks is a warning, not an error (as LXD accepts it)', () => {
    const r = img(['publish', '--rootfs', join(tree, 'rootfs'), '--metadata', join(tree, 'metadata.yaml')], {home: join(work, 'home-warn')});
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^Warning: template hostname\.tpl for \/etc\/hostname is not in the image's templates\//m);
  });

  test('--strict makes that warning an error with its code, and nothing lands in the store', () => {
    const home = join(work, 'home-strict');
    const r = img(['publish', '--rootfs', join(tree, 'rootfs'), '--metadata', join(tree, 'metadata.yaml'), '--strict', '--format', 'split'], {home});
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: template hostname\.tpl for \/etc\/hostname is not in the image's templates\//);
    assert.ok(isCleanError(r.stderr));
    assert.equal(img(['image', 'list', '--format', 'json'], {home}).stdout, '[]\n');
  });

  test('usage errors: no --rootfs, an instance name, a bad SOURCE_DATE_EPOCH, squashfs in a unified image, an unknown stock set', () => {
    const home = join(work, 'home-usage');
    for (const [args, env, message] of [
      [['publish'], {}, /give --rootfs DIR/],
      [['publish', 'c1'], {}, /publishing an instance \(c1\) needs img init/],
      [[...base], {SOURCE_DATE_EPOCH: 'yesterday'}, /SOURCE_DATE_EPOCH must be a number/],
      [[...base, '--rootfs-format', 'squashfs'], {}, /a squashfs rootfs needs --format split/],
      [[...base, '--stock-templates', 'motd'], {}, /unknown stock template set "motd" \(known: hostname, hosts, cloud-init\)/],
    ] as const) {
      const r = img([...args], {home, env: {...env}});
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
      assert.ok(isCleanError(r.stderr));
    }
  });

  test('a bad metadata.yaml or a missing rootfs is refused with one line, and nothing lands in the store', () => {
    const home = join(work, 'home-bad');
    const bad = join(work, 'bad-metadata.yaml');
    writeFileSync(bad, 'architecture: sparc\ncreation_date: 1\n');
    const r = img(['publish', '--rootfs', join(tree, 'rootfs'), '--metadata', bad], {home});
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "Error: Architecture isn't supported: sparc\n");
    const m = img(['publish', '--rootfs', join(work, 'nowhere')], {home});
    assert.equal(m.code, 1);
    assert.equal(m.stderr, `Error: ${join(work, 'nowhere')}: no such file or directory\n`);
    assert.equal(img(['image', 'list', '--format', 'json'], {home}).stdout, '[]\n');
    assert.deepEqual(readdirSync(join(home, 'tmp')), []);
  });
});

describe('img publish: the same fingerprint on one core and on two (taskset)', () => {
  const cores = availableParallelism();
  const skip = !hasCommand('taskset') ? 'taskset is not installed' : cores < 2 ? 'needs 2 cores' : false;
  // 26 MiB: several gzip blocks and bzip2 pieces, two xz blocks (24 MiB each at -6), zstd jobs on
  // each core. Each file repeats one 64 KiB run of numbered lines: xz, slow on text here (2 MB/s),
  // goes through long repeats at 15 MB/s.
  const big = join(work, 'big-tree');
  if (!skip) {
    mkdirSync(join(big, 'usr/lib'), {recursive: true});
    const lines: string[] = [];
    for (let i = 0, n = 0; n < 64 << 10; i++) {
      const line = `entry ${i} of the synthetic tree, value ${((i * 2654435761) >>> 0).toString(16)}\n`;
      lines.push(line);
      n += line.length;
    }
    const run = lines.join('');
    for (let f = 0; f < 26; f++) writeFileSync(join(big, 'usr/lib', `lib${f}.so`), Array.from({length: 16}, (_, k) => `file ${f} part ${k}\n${run}`).join(''));
    for (let f = 0; f < 300; f++) writeFileSync(join(big, 'usr', `doc${f}`), `small file ${f}\n`.repeat(f));
  }
  const pinned = (cpus: string, args: string[], home: string) => {
    const r = spawnSync('taskset', ['-c', cpus, process.execPath, IMG_BIN, ...args], {
      env: {...process.env, IMG_HOME: home, SOURCE_DATE_EPOCH: '1700000000'},
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    return fingerprintIn(r.stdout)!;
  };

  test('taskset really changes the cores a process sees', {skip}, () => {
    const seen = (cpus: string) => spawnSync('taskset', ['-c', cpus, process.execPath, '-p', 'os.availableParallelism()'], {encoding: 'utf8'}).stdout.trim();
    assert.deepEqual([seen('0'), seen('0,1')], ['1', '2']);
  });

  for (const [compression, format, rootfsFormat] of [
    ['none', 'unified', 'tar'],
    ['gzip', 'unified', 'tar'],
    ['xz', 'unified', 'tar'],
    ['bzip2', 'unified', 'tar'],
    ['zstd', 'unified', 'tar'],
    ['gzip', 'split', 'squashfs'],
    ['xz', 'split', 'squashfs'],
    ['zstd', 'split', 'squashfs'],
  ] as const) {
    test(`${format} ${compression} ${rootfsFormat}`, {skip}, () => {
      const args = ['publish', '--rootfs', big, '--compression', compression, '--format', format, '--rootfs-format', rootfsFormat];
      const one = pinned('0', args, join(work, `cores-1-${compression}-${rootfsFormat}`));
      const two = pinned('0,1', args, join(work, `cores-2-${compression}-${rootfsFormat}`));
      assert.equal(two, one);
    });
  }
});

describe('img publish: a file that changes while it is packed', () => {
  test('fails in one line, and leaves nothing in the store or its tmp', async () => {
    const home = join(work, 'home-changing');
    const dir = join(work, 'changing');
    mkdirSync(dir);
    writeFileSync(join(dir, 'log'), Buffer.alloc(64 << 20));
    const child = spawn(process.execPath, [
      '-e',
      "const fs=require('fs');const fd=fs.openSync(process.argv[1],'a');process.stdout.write('go');for(;;)fs.writeSync(fd,'x')",
      join(dir, 'log'),
    ]);
    await once(child.stdout, 'data');
    try {
      const r = await imgAsync(['publish', '--rootfs', dir, '--compression', 'zstd'], {home});
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^Error: \/.*\/log: changed while it was packed \(it was \d+ bytes and grew\)\n$/);
    } finally {
      child.kill('SIGKILL');
    }
    assert.equal(img(['image', 'list', '--format', 'json'], {home}).stdout, '[]\n');
    assert.deepEqual(readdirSync(join(home, 'tmp')), []);
  });
});
