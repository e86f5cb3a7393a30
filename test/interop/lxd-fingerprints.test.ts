// Must-show 1 and 2: a real LXD 5.0.2 imports every image img publishes and reports img's
// fingerprint; img imports what LXD exports with LXD's fingerprint, and gives the files back
// byte for byte; `img image fingerprint` agrees with LXD on all of them.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {fingerprintIn, img} from '../helpers/cli.js';
import {makeImageTree, makeRootfs, METADATA, tar} from '../helpers/images.js';
import {lxdSkipReason, ThrowawayLxd} from '../helpers/lxd.js';
import {tempDir} from '../helpers/tmp.js';

const skip = lxdSkipReason();
const EXT: Record<string, string> = {gzip: '.tar.gz', xz: '.tar.xz', zstd: '.tar.zst', bzip2: '.tar.bz2', none: '.tar'};

describe('LXD 5.0.2 and img agree on fingerprints', {skip}, () => {
  let lxd: ThrowawayLxd;
  const work = tempDir();
  const home = join(work, 'home');
  const tree = makeImageTree(join(work, 'tree'));

  before(async () => {
    lxd = await ThrowawayLxd.start();
  });
  after(async () => {
    await lxd?.stop();
  });

  const variants: Array<[layout: string, compression: string, rootfs: string]> = [
    ['unified', 'gzip', 'tar'],
    ['unified', 'xz', 'tar'],
    ['unified', 'zstd', 'tar'],
    ['unified', 'none', 'tar'],
    ['unified', 'bzip2', 'tar'],
    ['split', 'xz', 'tar'],
    ['split', 'gzip', 'tar'],
    ['split', 'zstd', 'tar'],
    ['split', 'xz', 'squashfs'],
    ['split', 'gzip', 'squashfs'],
  ];
  for (const [layout, compression, rootfs] of variants) {
    test(`${layout} ${compression} ${rootfs}: LXD imports what img publishes, with img's fingerprint`, () => {
      const out = join(work, `out-${layout}-${compression}-${rootfs}`);
      const r = img(
        [
          'publish',
          '--rootfs',
          join(tree, 'rootfs'),
          '--metadata',
          join(tree, 'metadata.yaml'),
          '--templates',
          join(tree, 'templates'),
          '--format',
          layout,
          '--compression',
          compression,
          '--rootfs-format',
          rootfs,
          '--alias',
          `t-${layout}-${compression}-${rootfs}`,
          '--output',
          out,
        ],
        {home},
      );
      assert.equal(r.code, 0, r.stderr);
      const fp = fingerprintIn(r.stdout);
      assert.ok(fp, r.stdout);
      const files = readdirSync(out).sort();
      let lxdFiles: string[];
      if (layout === 'unified') {
        assert.equal(files.length, 1, `one file in --output: ${files.join(' ')}`);
        assert.equal(files[0], `${fp}${EXT[compression]}`);
        lxdFiles = [join(out, files[0]!)];
      } else {
        assert.equal(files.length, 2, files.join(' '));
        const meta = files.find((f) => f.startsWith('meta-'))!;
        const root = files.find((f) => !f.startsWith('meta-'))!;
        assert.equal(meta, `meta-${fp}${EXT[compression]}`);
        assert.equal(root, `${fp}${rootfs === 'squashfs' ? '.squashfs' : EXT[compression]}`);
        lxdFiles = [join(out, meta), join(out, root)];
      }
      assert.equal(lxd.importImage(lxdFiles).fingerprint, fp, 'LXD reports the same fingerprint');
      assert.equal(fingerprintIn(img(['image', 'fingerprint', ...lxdFiles], {home}).stdout), fp, 'img image fingerprint agrees');
      // LXD's own export of what it imported is byte-identical to img's files, and so is img's.
      const lxdOut = join(work, `lxd-export-${fp}`);
      mkdirSync(lxdOut);
      assert.equal(lxd.lxc(['image', 'export', fp!, `${lxdOut}/`]).code, 0);
      const imgOut = join(work, `img-export-${fp}`);
      mkdirSync(imgOut);
      assert.equal(img(['image', 'export', fp!, imgOut], {home}).code, 0);
      assert.deepEqual(readdirSync(lxdOut).sort(), files, 'LXD names the exported files as img does');
      assert.deepEqual(readdirSync(imgOut).sort(), files);
      for (const f of files) {
        const original = readFileSync(join(out, f));
        assert.ok(original.equals(readFileSync(join(lxdOut, f))), `LXD export of ${f} is byte-identical`);
        assert.ok(original.equals(readFileSync(join(imgOut, f))), `img export of ${f} is byte-identical`);
      }
    });
  }

  test('the same input and SOURCE_DATE_EPOCH give the same fingerprint twice, and LXD agrees', () => {
    const env = {SOURCE_DATE_EPOCH: '1700000000'};
    const args = [
      'publish',
      '--rootfs',
      join(tree, 'rootfs'),
      'os=tinyos',
      'release=2.0',
      '--compression',
      'xz',
      '--stock-templates',
      'hostname,hosts,cloud-init',
    ];
    const a = fingerprintIn(img([...args, '--output', join(work, 'det-a')], {home: join(work, 'home-a'), env}).stdout);
    const b = fingerprintIn(img([...args, '--output', join(work, 'det-b')], {home: join(work, 'home-b'), env}).stdout);
    assert.ok(a);
    assert.equal(a, b);
    const file = join(work, 'det-a', readdirSync(join(work, 'det-a'))[0]!);
    assert.equal(lxd.importImage([file]).fingerprint, a);
    const record = lxd.image(a!);
    assert.equal((record.properties as Record<string, string>).release, '2.0');
  });

  describe('img imports what LXD exported', () => {
    const cases: Array<{name: string; build: (dir: string) => string[]}> = [
      {
        name: 'unified tar.xz',
        build: (dir) => {
          const t = makeImageTree(join(dir, 'tree'), {seed: 'lxd-unified'});
          tar(['-cJf', join(dir, 'u.tar.xz'), '-C', t, 'metadata.yaml', 'templates', 'rootfs']);
          return [join(dir, 'u.tar.xz')];
        },
      },
      {
        name: 'split squashfs',
        build: (dir) => {
          mkdirSync(join(dir, 'meta'), {recursive: true});
          writeFileSync(join(dir, 'meta', 'metadata.yaml'), METADATA);
          tar(['-cJf', join(dir, 'meta.tar.xz'), '-C', join(dir, 'meta'), 'metadata.yaml']);
          makeRootfs(join(dir, 'rootfs'), 'lxd-split');
          execFileSync('mksquashfs', [join(dir, 'rootfs'), join(dir, 'r.squashfs'), '-noappend', '-all-root', '-comp', 'xz', '-quiet', '-no-progress']);
          return [join(dir, 'meta.tar.xz'), join(dir, 'r.squashfs')];
        },
      },
      {
        name: 'split tar.gz rootfs (./ names, as distrobuilder writes)',
        build: (dir) => {
          mkdirSync(join(dir, 'meta'), {recursive: true});
          writeFileSync(join(dir, 'meta', 'metadata.yaml'), METADATA);
          tar(['-czf', join(dir, 'meta.tar.gz'), '-C', join(dir, 'meta'), '.']);
          makeRootfs(join(dir, 'rootfs'), 'lxd-split-tar');
          tar(['-czf', join(dir, 'root.tar.gz'), '-C', join(dir, 'rootfs'), '.']);
          return [join(dir, 'meta.tar.gz'), join(dir, 'root.tar.gz')];
        },
      },
      {
        name: 'unified VM (rootfs.img)',
        build: (dir) => {
          mkdirSync(join(dir, 'vm'), {recursive: true});
          writeFileSync(join(dir, 'vm', 'metadata.yaml'), METADATA);
          writeFileSync(join(dir, 'vm', 'rootfs.img'), Buffer.concat([Buffer.from('QFI\xfb', 'latin1'), Buffer.alloc(508)]));
          tar(['-czf', join(dir, 'vm.tar.gz'), '-C', join(dir, 'vm'), 'metadata.yaml', 'rootfs.img']);
          return [join(dir, 'vm.tar.gz')];
        },
      },
      {
        name: 'split VM (qcow2 root)',
        build: (dir) => {
          mkdirSync(join(dir, 'meta'), {recursive: true});
          writeFileSync(join(dir, 'meta', 'metadata.yaml'), METADATA);
          tar(['-cJf', join(dir, 'meta.tar.xz'), '-C', join(dir, 'meta'), 'metadata.yaml']);
          writeFileSync(join(dir, 'disk.qcow2'), Buffer.concat([Buffer.from('QFI\xfb', 'latin1'), Buffer.alloc(1020, 1)]));
          return [join(dir, 'meta.tar.xz'), join(dir, 'disk.qcow2')];
        },
      },
    ];
    for (const c of cases) {
      test(c.name, () => {
        const dir = join(work, `from-lxd-${c.name.replace(/\W+/g, '-')}`);
        mkdirSync(dir, {recursive: true});
        const fp = lxd.importImage(c.build(dir)).fingerprint;
        assert.ok(fp);
        const exported = join(dir, 'lxd-export');
        mkdirSync(exported);
        assert.equal(lxd.lxc(['image', 'export', fp!, `${exported}/`]).code, 0);
        const names = readdirSync(exported).sort();
        const meta = names.find((n) => n.startsWith('meta-'));
        const files = meta
          ? [
              join(exported, meta),
              join(
                exported,
                names.find((n) => n !== meta)!,
              ),
            ]
          : [join(exported, names[0]!)];
        const h = join(dir, 'home');
        const r = img(['image', 'import', ...files, '--alias', 'from-lxd'], {home: h});
        assert.equal(r.code, 0, r.stderr);
        assert.equal(fingerprintIn(r.stdout), fp, "img imports with LXD's fingerprint");
        assert.equal(fingerprintIn(img(['image', 'fingerprint', ...files], {home: h}).stdout), fp);
        const mine = JSON.parse(img(['image', 'info', 'from-lxd', '--format', 'json'], {home: h}).stdout) as Record<string, unknown>;
        const theirs = lxd.image(fp!);
        for (const k of ['type', 'architecture', 'size', 'created_at', 'expires_at', 'properties']) assert.deepEqual(mine[k], theirs[k], k);
        const back = join(dir, 'img-export');
        mkdirSync(back);
        assert.equal(img(['image', 'export', 'from-lxd', back], {home: h}).code, 0);
        assert.deepEqual(readdirSync(back).sort(), names, 'img names exports as LXD does');
        for (const n of names) assert.ok(readFileSync(join(back, n)).equals(readFileSync(join(exported, n))), `${n} is byte-identical`);
      });
    }
  });
});
