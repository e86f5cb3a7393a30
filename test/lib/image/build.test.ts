// src/lib/image/build.ts: images built into a temporary directory, then inspected with GNU tar,
// unsquashfs and sha256sum (independent of img), and read back with readImage.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import type {WriteCompression} from '../../../src/lib/archive/codecs.js';
import {UserError} from '../../../src/lib/errors.js';
import {hostArchitecture} from '../../../src/lib/image/architectures.js';
import {buildImage, type BuildOptions, type BuildProgress, type BuiltImage} from '../../../src/lib/image/build.js';
import {STOCK_TEMPLATES_DIR} from '../../../src/lib/image/stock-templates.js';
import {parseMetadata} from '../../../src/lib/image/metadata.js';
import {readImage} from '../../../src/lib/image/read-image.js';
import type {Warning} from '../../../src/lib/warn.js';
import {makeImageTree, METADATA} from '../../helpers/images.js';
import {tempDir} from '../../helpers/tmp.js';

const EPOCH = 1700000000;
const TAR_FLAG: Record<WriteCompression, string> = {gzip: 'z', xz: 'J', bzip2: 'j', zstd: '--zstd', none: ''};

/** GNU tar's member list of a built tarball. */
function members(file: string, compression: WriteCompression): string[] {
  const flag = TAR_FLAG[compression];
  const args = flag.startsWith('--') ? [flag, '-tf', file] : [`-t${flag}f`, file];
  return execFileSync('tar', args, {encoding: 'utf8', maxBuffer: 64 << 20})
    .split('\n')
    .filter(Boolean);
}

/** One member's content, extracted by GNU tar. */
function member(file: string, compression: WriteCompression, name: string): string {
  const flag = TAR_FLAG[compression];
  const args = flag.startsWith('--') ? [flag, '-xOf', file, name] : [`-x${flag}Of`, file, name];
  return execFileSync('tar', args, {encoding: 'utf8', maxBuffer: 64 << 20});
}

const sha256sum = (...files: string[]): string => execFileSync('sh', ['-c', 'cat "$@" | sha256sum', 'sh', ...files], {encoding: 'utf8'}).split(' ')[0]!;

let n = 0;
/** Build into a fresh directory under `work`. */
async function build(work: string, opts: BuildOptions): Promise<BuiltImage & {dir: string; warnings: Warning[]}> {
  const dir = join(work, `build-${++n}`);
  mkdirSync(dir);
  const warnings: Warning[] = [];
  return {...(await buildImage(dir, {...opts, onWarning: (w) => warnings.push(w)})), dir, warnings};
}

async function refused(work: string, opts: BuildOptions): Promise<UserError> {
  try {
    await build(work, opts);
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String((err as Error)?.stack ?? err)}`);
    return err;
  }
  assert.fail('expected the build to be refused');
}

describe('buildImage: layouts', () => {
  const work = tempDir();
  const tree = makeImageTree(join(work, 'tree'));
  const base = {rootfs: join(tree, 'rootfs'), metadata: join(tree, 'metadata.yaml'), templates: join(tree, 'templates'), sourceDateEpoch: EPOCH};

  for (const compression of ['gzip', 'xz', 'bzip2', 'zstd', 'none'] as WriteCompression[]) {
    test(`unified ${compression}: metadata.yaml first, then templates/, then rootfs/`, async () => {
      const b = await build(work, {...base, layout: 'unified', compression, rootfsFormat: 'tar'});
      assert.deepEqual(readdirSync(b.dir), ['unified']);
      assert.equal(b.files.length, 1);
      const file = b.files[0]!;
      assert.equal(file.role, 'unified');
      assert.equal(file.path, join(b.dir, 'unified'));
      assert.equal(file.size, statSync(file.path).size);
      assert.equal(b.size, file.size);
      assert.equal(file.format.compression, compression);
      assert.equal(b.fingerprint, sha256sum(file.path));
      assert.equal(file.sha256, b.fingerprint);
      const names = members(file.path, compression);
      assert.equal(names[0], 'metadata.yaml');
      assert.deepEqual(names.slice(1, 3), ['templates/', 'templates/hostname.tpl']);
      assert.equal(names[3], 'rootfs/');
      assert.ok(names.includes('rootfs/etc/hostname'));
      assert.ok(names.includes('rootfs/usr/os-release'));
      assert.ok(
        names.slice(3).every((x) => x.startsWith('rootfs/')),
        'everything after the templates is under rootfs/',
      );
      // The given metadata.yaml is copied byte for byte when nothing changes.
      assert.equal(member(file.path, compression, 'metadata.yaml'), METADATA);
      const r = await readImage([{path: file.path}], {scan: true});
      assert.equal(r.fingerprint, b.fingerprint);
      assert.equal(r.type, 'container');
    });
  }

  test('split tar: a metadata tarball (metadata.yaml first, templates/) and a rootfs tarball of "./" names', async () => {
    const b = await build(work, {...base, layout: 'split', compression: 'xz', rootfsFormat: 'tar'});
    assert.deepEqual(readdirSync(b.dir).sort(), ['metadata', 'rootfs']);
    const [meta, root] = b.files;
    assert.equal(meta!.role, 'metadata');
    assert.equal(root!.role, 'rootfs');
    assert.deepEqual(members(meta!.path, 'xz'), ['metadata.yaml', 'templates/', 'templates/hostname.tpl']);
    const names = members(root!.path, 'xz');
    assert.equal(names[0], './');
    assert.ok(
      names.every((x) => x.startsWith('./')),
      names.join(' '),
    );
    assert.ok(names.includes('./etc/hostname'));
    assert.equal(b.fingerprint, sha256sum(meta!.path, root!.path));
    assert.equal(meta!.sha256, sha256sum(meta!.path));
    assert.equal(root!.sha256, sha256sum(root!.path));
    assert.equal(b.size, meta!.size + root!.size);
    const r = await readImage([{path: meta!.path}, {path: root!.path}], {scan: true});
    assert.equal(r.fingerprint, b.fingerprint);
  });

  for (const compression of ['gzip', 'xz', 'zstd'] as WriteCompression[]) {
    test(`split squashfs (${compression}): a valid squashfs that unsquashfs lists`, async () => {
      const b = await build(work, {...base, layout: 'split', compression, rootfsFormat: 'squashfs', allRoot: true});
      const root = b.files.find((f) => f.role === 'rootfs')!;
      assert.deepEqual(root.format, {kind: 'squashfs', compression: 'none', extension: '.squashfs'});
      const listing = execFileSync('unsquashfs', ['-lls', root.path], {encoding: 'utf8'});
      assert.match(listing, /squashfs-root\/etc\/hostname\n/);
      assert.match(listing, /lrwxrwxrwx root\/root .* squashfs-root\/usr\/os-release -> \.\.\/etc\/os-release\n/);
      const stats = execFileSync('unsquashfs', ['-s', root.path], {encoding: 'utf8'});
      assert.match(stats, new RegExp(`Compression ${compression}\\n`));
      assert.equal(b.fingerprint, sha256sum(b.files[0]!.path, root.path));
      assert.deepEqual(members(b.files[0]!.path, compression)[0], 'metadata.yaml');
    });
  }

  test('a unified image with a squashfs rootfs is refused', async () => {
    const err = await refused(work, {...base, layout: 'unified', compression: 'xz', rootfsFormat: 'squashfs'});
    assert.equal(err.code, 'Usage');
  });

  for (const rootfsFormat of ['tar', 'squashfs'] as const) {
    test(`onProgress (${rootfsFormat}): phases in order, each counting up to its total`, async () => {
      const seen: BuildProgress[] = [];
      const b = await build(work, {...base, layout: 'split', compression: 'gzip', rootfsFormat, onProgress: (p) => seen.push({...p})});
      const phases = seen.map((p) => p.phase).filter((p, i, all) => p !== all[i - 1]);
      // What tar reads: every regular file's bytes, a hard-linked file's once (GNU find, independent of img).
      const dataBytes = execFileSync('find', [base.rootfs, '-type', 'f', '-printf', '%i %s\\n'], {encoding: 'utf8'})
        .split('\n')
        .filter(Boolean)
        .reduce((acc, line) => acc.set(line.split(' ')[0]!, Number(line.split(' ')[1])), new Map<string, number>());
      const dataTotal = [...dataBytes.values()].reduce((a, b) => a + b, 0);
      if (rootfsFormat === 'tar') {
        assert.deepEqual(phases, ['pack']);
        assert.deepEqual(seen.at(-1), {phase: 'pack', done: dataTotal, total: dataTotal});
      } else {
        assert.deepEqual(phases, ['squashfs', 'hash']);
        const rootfs = b.files.find((f) => f.role === 'rootfs')!;
        assert.deepEqual(seen.at(-1), {phase: 'hash', done: rootfs.size, total: rootfs.size});
      }
      for (let i = 1; i < seen.length; i++) if (seen[i]!.phase === seen[i - 1]!.phase) assert.ok(seen[i]!.done >= seen[i - 1]!.done);
    });
  }

  test('allRoot records root as the owner of every rootfs entry', async () => {
    const b = await build(work, {...base, layout: 'unified', compression: 'none', rootfsFormat: 'tar', allRoot: true});
    const listing = execFileSync('tar', ['-tvf', b.files[0]!.path], {encoding: 'utf8'}).split('\n').filter(Boolean);
    for (const line of listing) assert.match(line, /^\S+ 0\/0 /, line);
  });
});

describe('buildImage: SOURCE_DATE_EPOCH makes builds reproducible', () => {
  const work = tempDir();
  const tree = makeImageTree(join(work, 'tree'));
  const base = {
    rootfs: join(tree, 'rootfs'),
    templates: join(tree, 'templates'),
    properties: {os: 'tinyos', release: '2.0'},
    stockTemplates: ['hostname', 'hosts', 'cloud-init'],
    sourceDateEpoch: EPOCH,
  };
  const variants: Array<[BuildOptions['layout'], WriteCompression, BuildOptions['rootfsFormat']]> = [
    ...(['gzip', 'xz', 'bzip2', 'zstd', 'none'] as WriteCompression[]).map(
      (c) => ['unified', c, 'tar'] as [BuildOptions['layout'], WriteCompression, BuildOptions['rootfsFormat']],
    ),
    ...(['gzip', 'xz', 'bzip2', 'zstd', 'none'] as WriteCompression[]).map(
      (c) => ['split', c, 'tar'] as [BuildOptions['layout'], WriteCompression, BuildOptions['rootfsFormat']],
    ),
    ['split', 'gzip', 'squashfs'],
    ['split', 'xz', 'squashfs'],
    ['split', 'zstd', 'squashfs'],
  ];
  for (const [layout, compression, rootfsFormat] of variants) {
    test(`${layout} ${compression} ${rootfsFormat}: two builds are byte-identical`, async () => {
      const a = await build(work, {...base, layout, compression, rootfsFormat});
      const b = await build(work, {...base, layout, compression, rootfsFormat});
      assert.equal(a.fingerprint, b.fingerprint);
      assert.equal(a.files.length, b.files.length);
      for (let i = 0; i < a.files.length; i++) assert.ok(readFileSync(a.files[i]!.path).equals(readFileSync(b.files[i]!.path)), `${a.files[i]!.role} differs`);
    });
  }

  test('the generated metadata.yaml takes its creation date from SOURCE_DATE_EPOCH, and every entry its mtime', async () => {
    const b = await build(work, {rootfs: join(tree, 'rootfs'), layout: 'unified', compression: 'none', rootfsFormat: 'tar', sourceDateEpoch: EPOCH});
    assert.equal(b.metadata.metadata.creation_date, BigInt(EPOCH));
    assert.equal(b.metadata.architecture, hostArchitecture());
    const text = member(b.files[0]!.path, 'none', 'metadata.yaml');
    assert.equal(text, `architecture: ${hostArchitecture()}\ncreation_date: ${EPOCH}\nproperties: {}\ntemplates: {}\n`);
    const listing = execFileSync('tar', ['-tv', '--full-time', '-f', b.files[0]!.path], {encoding: 'utf8'}).split('\n').filter(Boolean);
    for (const line of listing) assert.match(line, / 2023-11-14 22:13:20 /, line);
  });

  test('a different SOURCE_DATE_EPOCH gives a different fingerprint', async () => {
    const opts = {rootfs: join(tree, 'rootfs'), layout: 'unified', compression: 'gzip', rootfsFormat: 'tar'} as const;
    const a = await build(work, {...opts, sourceDateEpoch: EPOCH});
    const b = await build(work, {...opts, sourceDateEpoch: EPOCH + 1});
    assert.notEqual(a.fingerprint, b.fingerprint);
  });
});

describe('buildImage: metadata, properties and templates', () => {
  const work = tempDir();
  const tree = makeImageTree(join(work, 'tree'));
  const base = {
    rootfs: join(tree, 'rootfs'),
    metadata: join(tree, 'metadata.yaml'),
    sourceDateEpoch: EPOCH,
    layout: 'unified',
    compression: 'none',
    rootfsFormat: 'tar',
  } as const;

  test("properties merge into metadata.yaml's own (given ones win), and the packed text says so", async () => {
    const b = await build(work, {...base, templates: join(tree, 'templates'), properties: {release: '2.0', variant: 'yes', mode: '0755'}});
    const text = member(b.files[0]!.path, 'none', 'metadata.yaml');
    assert.equal(
      text,
      [
        'architecture: x86_64',
        'creation_date: 1700000000',
        'properties:',
        '  description: tinyos 1.0 test image',
        '  mode: "0755"',
        '  os: tinyos',
        '  release: "2.0"',
        '  variant: "yes"',
        'templates:',
        '  /etc/hostname:',
        '    when:',
        '    - create',
        '    - copy',
        '    template: hostname.tpl',
        '',
      ].join('\n'),
    );
    assert.deepEqual(parseMetadata(Buffer.from(text)).metadata.properties, {
      description: 'tinyos 1.0 test image',
      mode: '0755',
      os: 'tinyos',
      release: '2.0',
      variant: 'yes',
    });
    assert.deepEqual(b.metadata.metadata.properties, {description: 'tinyos 1.0 test image', mode: '0755', os: 'tinyos', release: '2.0', variant: 'yes'});
    assert.deepEqual(b.warnings, []);
  });

  test('stock templates add metadata entries and their files', async () => {
    const b = await build(work, {...base, templates: join(tree, 'templates'), stockTemplates: ['hostname', 'hosts', 'cloud-init']});
    const file = b.files[0]!.path;
    const names = members(file, 'none');
    assert.deepEqual(names.slice(0, 9), [
      'metadata.yaml',
      'templates/',
      'templates/cloud-init-meta.tpl',
      'templates/cloud-init-network.tpl',
      'templates/cloud-init-user.tpl',
      'templates/cloud-init-vendor.tpl',
      'templates/hostname.tpl',
      'templates/hosts.tpl',
      'rootfs/',
    ]);
    const templates = b.metadata.metadata.templates;
    assert.deepEqual(Object.keys(templates).sort(), [
      '/etc/hostname',
      '/etc/hosts',
      '/var/lib/cloud/seed/nocloud-net/meta-data',
      '/var/lib/cloud/seed/nocloud-net/network-config',
      '/var/lib/cloud/seed/nocloud-net/user-data',
      '/var/lib/cloud/seed/nocloud-net/vendor-data',
    ]);
    // The image's own /etc/hostname entry wins over the stock one, and its own file over the stock file.
    assert.equal(member(file, 'none', 'templates/hostname.tpl'), '{{ container.name }}\n');
    assert.equal(member(file, 'none', 'templates/hosts.tpl'), readFileSync(join(STOCK_TEMPLATES_DIR, 'hosts.tpl'), 'utf8'));
    assert.deepEqual(templates['/var/lib/cloud/seed/nocloud-net/user-data'], {
      when: ['create', 'copy'],
      create_only: false,
      template: 'cloud-init-user.tpl',
      properties: {default: '#cloud-config\n{}'},
    });
    assert.deepEqual(templates['/etc/hosts'], {when: ['create', 'copy'], create_only: false, template: 'hosts.tpl', properties: {}});
    const parsed = parseMetadata(Buffer.from(member(file, 'none', 'metadata.yaml')));
    assert.deepEqual(parsed.metadata.templates, templates);
    assert.deepEqual(b.warnings, []);
    assert.deepEqual(readdirSync(b.dir), ['unified'], 'the staging directory is removed');
  });

  test("stock templates without a templates directory or metadata.yaml of one's own", async () => {
    const b = await build(work, {
      rootfs: join(tree, 'rootfs'),
      stockTemplates: ['hostname'],
      sourceDateEpoch: EPOCH,
      layout: 'split',
      compression: 'gzip',
      rootfsFormat: 'tar',
    });
    assert.deepEqual(members(b.files[0]!.path, 'gzip'), ['metadata.yaml', 'templates/', 'templates/hostname.tpl']);
    assert.equal(member(b.files[0]!.path, 'gzip', 'templates/hostname.tpl'), readFileSync(join(STOCK_TEMPLATES_DIR, 'hostname.tpl'), 'utf8'));
    assert.deepEqual(Object.keys(b.metadata.metadata.templates), ['/etc/hostname']);
  });

  test('an unknown stock template set is refused', async () => {
    const err = await refused(work, {...base, stockTemplates: ['nope']});
    assert.equal(err.code, 'UnknownStockTemplates');
    assert.equal(err.message, 'unknown stock template set "nope" (known: hostname, hosts, cloud-init)');
  });

  test('a template file that is missing gives a warning, not a failure', async () => {
    const b = await build(work, {...base});
    assert.deepEqual(b.warnings, [
      {
        code: 'TemplateMissing',
        message: "template hostname.tpl for /etc/hostname is not in the image's templates/ (LXD accepts this; rendering will skip it)",
        data: {template: 'hostname.tpl', path: '/etc/hostname'},
      },
    ]);
    assert.equal(
      members(b.files[0]!.path, 'none').some((x) => x.startsWith('templates/')),
      false,
    );
  });

  test("strict: the missing template file is an error with the warning's code and words, and nothing is built", async () => {
    const err = await refused(work, {...base, strict: true});
    assert.equal(err.code, 'TemplateMissing');
    assert.match(err.message, /^template hostname\.tpl for \/etc\/hostname is not in the image's templates\//);
    assert.deepEqual(readdirSync(join(work, `build-${n}`)), [], 'no image file was written');
  });

  test('a metadata.yaml over 1 MiB is refused', async () => {
    const big = join(work, 'big.yaml');
    writeFileSync(big, METADATA + '#' + 'x'.repeat(1 << 20) + '\n');
    const err = await refused(work, {...base, metadata: big});
    assert.equal(err.code, 'MetadataTooLarge');
    assert.equal(err.message, `${big}: metadata.yaml is too large (${statSync(big).size} bytes; the limit is 1048576)`);
  });

  test('a metadata.yaml with a bad architecture is refused', async () => {
    const bad = join(work, 'bad.yaml');
    writeFileSync(bad, 'architecture: X86_64\ncreation_date: 1700000000\n');
    const err = await refused(work, {...base, metadata: bad});
    assert.equal(err.code, 'UnsupportedArchitecture');
    assert.equal(err.message, "Architecture isn't supported: X86_64");
  });

  test('a metadata.yaml that does not exist', async () => {
    const err = await refused(work, {...base, metadata: join(work, 'none.yaml')});
    assert.equal(err.code, 'FileNotFound');
  });

  test('a rootfs that is not a directory, or does not exist', async () => {
    const err = await refused(work, {...base, rootfs: join(tree, 'metadata.yaml')});
    assert.equal(err.code, 'NotDirectory');
    assert.equal(err.message, `${join(tree, 'metadata.yaml')}: the rootfs must be a directory`);
    assert.equal((await refused(work, {...base, rootfs: join(work, 'missing')})).code, 'FileNotFound');
  });

  test('templates that are not a directory', async () => {
    const err = await refused(work, {...base, templates: join(tree, 'metadata.yaml')});
    assert.equal(err.code, 'NotDirectory');
  });

  test('nothing is left in the work directory after a refusal before writing', async () => {
    const dir = join(work, 'clean');
    mkdirSync(dir);
    await assert.rejects(buildImage(dir, {...base, stockTemplates: ['nope']}));
    assert.equal(existsSync(join(dir, 'unified')), false);
  });
});
