// The `img image …` commands as users drive them: output shaped as lxc's, errors as one line
// with the documented exit status (0 ok, 1 error, 2 usage, 3 image not found).
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {before, describe, test} from 'node:test';
import {fingerprintIn, img, isCleanError} from '../helpers/cli.js';
import {makeImageTree, makeRootfs, METADATA, tar, unifiedTarball} from '../helpers/images.js';
import {tempDir} from '../helpers/tmp.js';
import {compareRows} from '../../src/render/table.js';

const work = tempDir();
const home = join(work, 'home');
const run = (args: string[], input?: string) => img(args, input === undefined ? {home} : {home, input});

let unified = '';
let split = '';
const files: Record<string, string> = {};

before(() => {
  const tree = makeImageTree(join(work, 'tree'));
  files.unified = unifiedTarball(tree, join(work, 'u.tar.xz'), 'J');
  mkdirSync(join(work, 'meta'));
  writeFileSync(join(work, 'meta', 'metadata.yaml'), METADATA.replace('tinyos 1.0 test image', 'split image'));
  tar(['-cJf', join(work, 'meta.tar.xz'), '-C', join(work, 'meta'), 'metadata.yaml']);
  makeRootfs(join(work, 'rootfs2'), 'split');
  execFileSync('mksquashfs', [join(work, 'rootfs2'), join(work, 'root.squashfs'), '-noappend', '-all-root', '-quiet', '-no-progress']);
  files.meta = join(work, 'meta.tar.xz');
  files.root = join(work, 'root.squashfs');
});

describe('import, list, info', () => {
  test('import prints the full fingerprint and takes aliases and key=value properties', () => {
    const r = run(['image', 'import', files.unified!, '--alias', 'tiny', '--alias', 't2', 'extra=yes', 'os=override']);
    assert.equal(r.code, 0, r.stderr);
    unified = fingerprintIn(r.stdout)!;
    assert.equal(r.stdout, `Image imported with fingerprint: ${unified}\n`);
    const sha = execFileSync('sha256sum', [files.unified!], {encoding: 'utf8'}).slice(0, 64);
    assert.equal(unified, sha);
    const s = run(['image', 'import', files.meta!, files.root!, '--alias', 'split', '--public']);
    assert.equal(s.code, 0, s.stderr);
    split = fingerprintIn(s.stdout)!;
    const cat = execFileSync('sh', ['-c', `cat "$1" "$2" | sha256sum`, 'sh', files.meta!, files.root!], {encoding: 'utf8'}).slice(0, 64);
    assert.equal(split, cat);
  });

  test('import from stdin', () => {
    const h = join(work, 'home-stdin');
    const r = img(['image', 'import', '-', '--alias', 'piped'], {home: h, input: readFileSync(files.unified!) as unknown as string});
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fingerprintIn(r.stdout), unified);
    const info = JSON.parse(img(['image', 'info', 'piped', '--format', 'json'], {home: h}).stdout) as {filename: string};
    assert.equal(info.filename, '');
  });

  test('list: lxc\'s table, sorted rows, csv without header, compact', () => {
    const table = run(['image', 'list']).stdout.split('\n');
    assert.match(table[1]!, /^\| +ALIAS +\| FINGERPRINT {2}\| PUBLIC \| +DESCRIPTION +\| ARCHITECTURE \| {3}TYPE {4}\| {2}SIZE {2}\| +UPLOAD DATE +\|$/);
    assert.match(table[3]!, /^\| split {7}\| [0-9a-f]{12} \| yes {4}\| split image {11}\| x86_64 {7}\| CONTAINER \| 0\.\d\dMB \| /);
    assert.equal(table.filter((l) => l.startsWith('+')).length, 4, 'a border line after the header and after every row');
    const csv = run(['image', 'list', '--format', 'csv']).stdout.trim().split('\n');
    assert.equal(csv.length, 2);
    assert.match(csv[0]!, /^split,[0-9a-f]{12},yes,split image,x86_64,CONTAINER,0\.\d\dMB,"\w{3} \d{1,2}, \d{4} at \d{1,2}:\d\d[ap]m \(UTC\)"$/);
    assert.match(csv[1]!, /^t2 \(1 more\),[0-9a-f]{12},no,tinyos 1\.0 test image,x86_64,CONTAINER,/);
    const compact = run(['image', 'list', '--format', 'compact']).stdout.split('\n');
    assert.ok(compact[0]!.startsWith('     ALIAS     '), compact[0]);
    // lxc's natural order: digit runs compare as numbers ("3f…" before "2325…").
    const natural = [[split], [unified]].sort(compareRows).map(([fp]) => `${fp}\n`).join('');
    assert.equal(run(['image', 'list', '-c', 'F', '--format', 'csv']).stdout, natural);
  });

  test('list filters: substring, property regexp, dotted-prefix key, fields; --format json is the LXD image object', () => {
    const fps = (args: string[]) => (JSON.parse(run(['image', 'list', ...args, '--format', 'json']).stdout) as Array<{fingerprint: string}>).map((i) => i.fingerprint);
    assert.deepEqual(fps(['spli']), [split]);
    assert.deepEqual(fps([unified.slice(3, 12)]), [unified]);
    assert.deepEqual(fps(['os=override']), [unified]);
    assert.deepEqual(fps(['os=over']), [], 'values are anchored');
    assert.deepEqual(fps(['os=over.*']), [unified]);
    assert.deepEqual(fps(['rel=1.0']).sort(), [split, unified].sort(), 'rel matches release');
    assert.deepEqual(fps(['public=true']), [split]);
    assert.deepEqual(fps(['type=virtual-machine']), []);
    assert.deepEqual(fps(['architecture=x86_64', 'public=false']), [unified]);
    assert.deepEqual(fps(['local:spli']), [split]);
    assert.deepEqual(fps(['local:', 'spli']), [split]);
    const [obj] = JSON.parse(run(['image', 'list', 'split', '--format', 'json']).stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(obj!).slice(0, 16), ['auto_update', 'properties', 'public', 'expires_at', 'profiles', 'aliases', 'architecture', 'cached', 'filename', 'fingerprint', 'size', 'type', 'created_at', 'last_used_at', 'uploaded_at', 'files']);
    assert.equal(obj!.filename, 'root.squashfs');
    assert.equal(obj!.expires_at, '1970-01-01T00:00:00Z');
    assert.equal(obj!.last_used_at, '0001-01-01T00:00:00Z');
    assert.equal(obj!.created_at, '2023-11-14T22:13:20Z');
    assert.deepEqual(obj!.aliases, [{name: 'split', description: ''}]);
    assert.equal(run(['image', 'list', '--format', 'json', 'nothing-matches']).stdout, '[]\n');
    assert.equal(run(['image', 'list', 'elsewhere:']).code, 1);
  });

  test('list -c errors are lxc\'s', () => {
    const r = run(['image', 'list', '-c', 'lfx']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^Error: Unknown column shorthand char 'x' in 'lfx'$/m);
    assert.match(run(['image', 'list', '-c', 'l,,f']).stderr, /Empty column entry/);
  });

  test('info by alias, by prefix (any case); not found is exit 3; ambiguous prefix is an error', () => {
    const byAlias = run(['image', 'info', 'tiny']);
    assert.equal(byAlias.code, 0);
    assert.equal(byAlias.stdout.split('\n')[0], `Fingerprint: ${unified}`);
    assert.match(byAlias.stdout, /\nTimestamps:\n {4}Created: 2023\/11\/14 22:13 UTC\n {4}Uploaded: \d{4}\/\d\d\/\d\d \d\d:\d\d UTC\n {4}Expires: never\n {4}Last used: never\nProperties:\n {4}description: tinyos 1\.0 test image\n {4}extra: yes\n {4}os: override\n {4}release: 1\.0\nAliases:\n {4}- t2\n {4}- tiny\nCached: no\nAuto update: disabled\nProfiles:\n {4}- default\n$/);
    assert.equal(run(['image', 'info', unified.slice(0, 10).toUpperCase()]).code, 0);
    const nf = run(['image', 'info', 'nope']);
    assert.equal(nf.code, 3);
    assert.equal(nf.stderr, 'Error: Image "nope" not found\n');
    const both = [unified, split];
    const common = both[0]!.split('').findIndex((c, i) => c !== both[1]![i]);
    if (common > 0) {
      const amb = run(['image', 'info', unified.slice(0, common)]);
      assert.equal(amb.code, 1);
      assert.match(amb.stderr, /More than one image matches|ambiguous/);
    }
    assert.equal(run(['image', 'info', '']).code, 3);
  });
});

describe('show, edit, properties', () => {
  test('show prints the editable fields as lxc does', () => {
    assert.equal(
      run(['image', 'show', 'tiny']).stdout,
      'auto_update: false\nproperties:\n  description: tinyos 1.0 test image\n  extra: "yes"\n  os: override\n  release: "1.0"\npublic: false\nexpires_at: 1970-01-01T00:00:00Z\nprofiles:\n- default\n',
    );
  });

  test('edit from stdin: PUT semantics, immutable fields refused, bad YAML refused and nothing changed', () => {
    const put = 'auto_update: true\nproperties:\n  os: Edited\n  release: "2.0"\npublic: true\nexpires_at: 2030-01-02T03:04:05Z\n';
    const r = run(['image', 'edit', 'tiny'], put);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const after = JSON.parse(run(['image', 'info', 'tiny', '--format', 'json']).stdout) as Record<string, unknown>;
    assert.deepEqual(after.properties, {os: 'Edited', release: '2.0'});
    assert.equal(after.public, true);
    assert.equal(after.auto_update, true);
    assert.equal(after.expires_at, '2030-01-02T03:04:05Z');
    assert.deepEqual(after.profiles, ['default'], 'absent profiles are kept');
    assert.match(run(['image', 'info', 'tiny']).stdout, /Expires: 2030\/01\/02 03:04 UTC/);
    // Omitting public/auto_update resets them, omitting expires_at keeps it.
    assert.equal(run(['image', 'edit', 'tiny'], 'properties: {os: Again}\n').code, 0);
    const again = JSON.parse(run(['image', 'info', 'tiny', '--format', 'json']).stdout) as Record<string, unknown>;
    assert.equal(again.public, false);
    assert.equal(again.expires_at, '2030-01-02T03:04:05Z');
    for (const [bad, message] of [
      ['public: notabool\n', /cannot unmarshal !!str `notabool` into bool/],
      ['properties: [\n', /^Error: yaml: line \d+/m],
      ['fingerprint: 0000\n', /fingerprint cannot be changed/],
      ['profiles: [nonexistent]\n', /Profile 'nonexistent' doesn't exist/],
      ['expires_at: garbage\n', /RFC 3339/],
    ] as const) {
      const before = run(['image', 'show', 'tiny']).stdout;
      const e = run(['image', 'edit', 'tiny'], bad);
      assert.equal(e.code, 1, bad);
      assert.match(e.stderr, message);
      assert.ok(isCleanError(e.stderr));
      assert.equal(run(['image', 'show', 'tiny']).stdout, before, 'nothing changed');
    }
    assert.equal(run(['image', 'edit', 'nope'], 'public: true\n').code, 3);
  });

  test('get-property, set-property (empty value removes), unset-property', () => {
    assert.equal(run(['image', 'set-property', 'tiny', 'colour', 'blue']).code, 0);
    assert.equal(run(['image', 'get-property', 'tiny', 'colour']).stdout, 'blue\n');
    const missing = run(['image', 'get-property', 'tiny', 'nope']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error: Property not found\n');
    assert.equal(run(['image', 'set-property', 'tiny', 'colour', '']).code, 0);
    assert.equal(run(['image', 'get-property', 'tiny', 'colour']).code, 1);
    assert.equal(run(['image', 'set-property', 'tiny', 'shape', 'round']).code, 0);
    assert.equal(run(['image', 'unset-property', 'tiny', 'shape']).code, 0);
    assert.equal(run(['image', 'unset-property', 'tiny', 'shape']).code, 0, 'unsetting a missing key succeeds');
    assert.equal(run(['image', 'get-property', 'tiny', 'shape']).code, 1);
  });
});

describe('aliases', () => {
  test('create (prefix target), list, rename, delete; errors', () => {
    assert.equal(run(['image', 'alias', 'create', 'by-prefix', split.slice(0, 12), '--description', 'Split one']).code, 0);
    assert.equal(run(['image', 'alias', 'create', 'by-prefix', unified]).stderr, 'Error: Alias already exists: by-prefix\n');
    assert.equal(run(['image', 'alias', 'create', 'x', 'tiny']).code, 3, 'an alias is not a target');
    assert.equal(run(['image', 'alias', 'create', 'bad:name', unified]).code, 1);
    const list = run(['image', 'alias', 'list', '--format', 'csv']).stdout;
    assert.equal(list, `by-prefix,${split.slice(0, 12)},CONTAINER,Split one\nsplit,${split.slice(0, 12)},CONTAINER,\nt2,${unified.slice(0, 12)},CONTAINER,\ntiny,${unified.slice(0, 12)},CONTAINER,\n`);
    assert.deepEqual(JSON.parse(run(['image', 'alias', 'list', 'by-', '--format', 'json']).stdout), [{description: 'Split one', target: split, name: 'by-prefix', type: 'container'}]);
    assert.match(run(['image', 'info', 'split']).stdout, /Aliases:\n {4}- by-prefix \(Split one\)\n {4}- split\n/);
    assert.equal(run(['image', 'alias', 'rename', 'by-prefix', 'tiny']).stderr, 'Error: Alias already exists: tiny\n');
    assert.equal(run(['image', 'alias', 'rename', 'by-prefix', 'renamed']).code, 0);
    assert.equal(run(['image', 'alias', 'rename', 'by-prefix', 'other']).code, 3);
    assert.equal(run(['image', 'alias', 'delete', 'renamed']).code, 0);
    assert.equal(run(['image', 'alias', 'delete', 'renamed']).code, 3);
    const table = run(['image', 'alias', 'list']).stdout;
    assert.match(table, /^\+-+\+-+\+-+\+-+\+\n\| ALIAS \| FINGERPRINT {2}\| {3}TYPE {4}\| DESCRIPTION \|\n/);
  });
});

describe('fingerprint, export, verify, delete', () => {
  test('fingerprint agrees with the import and with sha256sum; refuses what LXD refuses', () => {
    assert.equal(run(['image', 'fingerprint', files.unified!]).stdout, `${unified}\n`);
    assert.equal(run(['image', 'fingerprint', files.meta!, files.root!]).stdout, `${split}\n`);
    const junk = join(work, 'junk.bin');
    writeFileSync(junk, 'not an image at all, and long enough to be sniffed properly'.repeat(10));
    const r = run(['image', 'fingerprint', junk]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Unsupported compression/);
    assert.deepEqual(Object.keys(JSON.parse(run(['image', 'fingerprint', files.unified!, '--format', 'json']).stdout)), ['fingerprint', 'size', 'files']);
  });

  test('export names files as LXD does and gives them back byte for byte', () => {
    const dir = join(work, 'exp');
    mkdirSync(dir);
    assert.equal(run(['image', 'export', 'tiny', dir]).code, 0);
    assert.equal(run(['image', 'export', 'split', dir]).code, 0);
    assert.deepEqual(readdirSync(dir).sort(), [`${split}.squashfs`, `${unified}.tar.xz`, `meta-${split}.tar.xz`].sort());
    assert.ok(readFileSync(join(dir, `${unified}.tar.xz`)).equals(readFileSync(files.unified!)));
    assert.ok(readFileSync(join(dir, `meta-${split}.tar.xz`)).equals(readFileSync(files.meta!)));
    assert.ok(readFileSync(join(dir, `${split}.squashfs`)).equals(readFileSync(files.root!)));
    // A target that is not a directory names the file (unified: plus the extension; split: name + name.root).
    assert.equal(run(['image', 'export', 'tiny', join(dir, 'named')]).code, 0);
    assert.equal(run(['image', 'export', 'split', join(dir, 'sp')]).code, 0);
    assert.ok(readFileSync(join(dir, 'named.tar.xz')).equals(readFileSync(files.unified!)));
    assert.ok(readFileSync(join(dir, 'sp')).equals(readFileSync(files.meta!)));
    assert.ok(readFileSync(join(dir, 'sp.root')).equals(readFileSync(files.root!)));
    // Default target: the current directory.
    const cwd = join(work, 'cwd');
    mkdirSync(cwd);
    assert.equal(img(['image', 'export', 'tiny'], {home, cwd}).code, 0);
    assert.deepEqual(readdirSync(cwd), [`${unified}.tar.xz`]);
    assert.equal(run(['image', 'export', 'tiny', join(work, 'missing-dir') + '/']).code, 1);
  });

  test('export - writes a unified image to stdout; a split one cannot', () => {
    const r = execFileSync(process.execPath, [join(import.meta.dirname, '../../bin/run.js'), 'image', 'export', 'tiny', '-'], {env: {...process.env, IMG_HOME: home}, maxBuffer: 64 << 20});
    assert.ok(r.equals(readFileSync(files.unified!)));
    const s = run(['image', 'export', 'split', '-']);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /split image/);
  });

  test('verify: ok lines; a damaged file is a MISMATCH and exit 1; --deep reads archives to the end', () => {
    const ok = run(['image', 'verify']);
    assert.equal(ok.code, 0);
    assert.equal(ok.stdout, [split, unified].sort().map((fp) => `ok ${fp}\n`).join(''));
    assert.equal(run(['image', 'verify', '--deep']).code, 0);
    const stored = join(home, 'images', unified, 'unified');
    const bytes = readFileSync(stored);
    const damaged = Buffer.from(bytes);
    damaged.writeUInt8(damaged.readUInt8(damaged.length - 100) ^ 0xff, damaged.length - 100);
    writeFileSync(stored, damaged);
    try {
      const bad = run(['image', 'verify']);
      assert.equal(bad.code, 1);
      assert.match(bad.stdout, new RegExp(`^MISMATCH ${unified} unified: expected ${unified} got [0-9a-f]{64}$`, 'm'));
      assert.match(bad.stdout, new RegExp(`^ok ${split}$`, 'm'));
    } finally {
      writeFileSync(stored, bytes);
    }
    const root = join(home, 'images', split, 'rootfs');
    const rootBytes = readFileSync(root);
    writeFileSync(root, rootBytes.subarray(0, rootBytes.length - 1));
    try {
      const bad = run(['image', 'verify', 'split']);
      assert.equal(bad.code, 1);
      assert.match(bad.stdout, new RegExp(`^MISMATCH ${split} rootfs: `, 'm'));
    } finally {
      writeFileSync(root, rootBytes);
    }
  });

  test('verify --deep finds a damaged archive tail that import (like LXD) does not read', () => {
    const h = join(work, 'home-deep');
    const tree = makeImageTree(join(work, 'deep-tree'), {seed: 'deep'});
    const gz = unifiedTarball(tree, join(work, 'deep.tar.gz'), 'z');
    const bytes = readFileSync(gz);
    const cut = join(work, 'cut.tar.gz');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 64));
    const r = img(['image', 'import', cut, '--alias', 'cut'], {home: h});
    assert.equal(r.code, 0, 'LXD imports this too: it stops reading after rootfs/ begins');
    assert.equal(img(['image', 'verify', 'cut'], {home: h}).code, 0);
    const deep = img(['image', 'verify', 'cut', '--deep'], {home: h});
    assert.equal(deep.code, 1);
    assert.match(deep.stdout, /^CORRUPT [0-9a-f]{64} unified: gzip: /m);
  });

  test('delete resolves every name first; removes images and their aliases', () => {
    const r = run(['image', 'delete', 'split', 'nope']);
    assert.equal(r.code, 3);
    assert.equal(run(['image', 'info', 'split']).code, 0, 'nothing was deleted');
    assert.equal(run(['image', 'delete', 'split', 'tiny']).code, 0);
    assert.equal(run(['image', 'list', '--format', 'json']).stdout, '[]\n');
    assert.equal(run(['image', 'alias', 'list', '--format', 'json']).stdout, '[]\n');
  });
});

describe('usage errors', () => {
  test('missing arguments, unknown flags and commands exit 2 with one line', () => {
    for (const args of [['image', 'import'], ['image', 'list', '--bogus'], ['image', 'bogus'], ['image', 'list', '--format', 'bogus']]) {
      const r = run(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.ok(isCleanError(r.stderr), r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });
});

describe('import --move and moving aliases', () => {
  test('--move links the file into the store, then removes the original; a refused import keeps it', () => {
    const h = join(work, 'home-move');
    mkdirSync(h, {recursive: true});
    const tree = makeImageTree(join(work, 'move-tree'), {seed: 'move'});
    const original = unifiedTarball(tree, join(h, 'move.tar'));
    const bytes = readFileSync(original);
    const r = img(['image', 'import', original, '--move', '--alias', 'moved'], {home: h});
    assert.equal(r.code, 0, r.stderr);
    const fp = fingerprintIn(r.stdout)!;
    assert.equal(existsSync(original), false, 'the original name is gone');
    const stored = join(h, 'images', fp, 'unified');
    assert.ok(readFileSync(stored).equals(bytes));
    assert.equal(statSync(stored).nlink, 1, 'the store holds the only link');
    assert.equal(img(['image', 'verify', 'moved'], {home: h}).code, 0);
    // A duplicate (or any refusal) leaves the file where it was.
    writeFileSync(original, bytes);
    const dup = img(['image', 'import', original, '--move'], {home: h});
    assert.equal(dup.code, 1);
    assert.ok(readFileSync(original).equals(bytes), 'the refused input is untouched');
    const bad = join(h, 'bad.tar');
    writeFileSync(bad, 'not an image'.repeat(50));
    assert.equal(img(['image', 'import', bad, '--move'], {home: h}).code, 1);
    assert.ok(existsSync(bad));
    assert.deepEqual(readdirSync(join(h, 'tmp')), []);
    assert.equal(img(['image', 'import', '-', '--move'], {home: h, input: 'x'}).code, 2, '--move needs a file');
  });

  test('an --alias that names another image moves to the new one, as with lxc image import', () => {
    const h = join(work, 'home-alias-move');
    const a = unifiedTarball(makeImageTree(join(work, 'am-a'), {seed: 'a'}), join(work, 'am-a.tar'));
    const b = unifiedTarball(makeImageTree(join(work, 'am-b'), {seed: 'b'}), join(work, 'am-b.tar'));
    const fa = fingerprintIn(img(['image', 'import', a, '--alias', 'current'], {home: h}).stdout)!;
    const fb = fingerprintIn(img(['image', 'import', b, '--alias', 'current'], {home: h}).stdout)!;
    assert.notEqual(fa, fb);
    assert.equal(JSON.parse(img(['image', 'info', 'current', '--format', 'json'], {home: h}).stdout).fingerprint, fb);
    assert.deepEqual(JSON.parse(img(['image', 'info', fa, '--format', 'json'], {home: h}).stdout).aliases, []);
  });
});

describe('info --digests and URLs', () => {
  test('info --digests prints each file\'s digests after lxc\'s fields; --format json carries them', () => {
    const h = join(work, 'home-digests');
    const tarball = unifiedTarball(makeImageTree(join(work, 'dg-tree'), {seed: 'digests'}), join(work, 'dg.tar.gz'), 'z');
    assert.equal(img(['image', 'import', tarball, '--alias', 'dg'], {home: h}).code, 0);
    const sha1 = execFileSync('sha1sum', [tarball], {encoding: 'utf8'}).slice(0, 40);
    const md5 = execFileSync('md5sum', [tarball], {encoding: 'utf8'}).slice(0, 32);
    assert.doesNotMatch(img(['image', 'info', 'dg'], {home: h}).stdout, /Files:/, 'plain info stays as lxc prints it');
    const out = img(['image', 'info', 'dg', '--digests'], {home: h}).stdout;
    assert.match(out, new RegExp(`\\nProfiles:\\n {4}- default\\nFiles:\\n {4}- unified: ${statSync(tarball).size} bytes, tar \\(gzip\\)\\n {6}sha256: [0-9a-f]{64}\\n {6}sha1: ${sha1}\\n {6}md5: ${md5}\\n$`));
    const files = (JSON.parse(img(['image', 'info', 'dg', '--format', 'json'], {home: h}).stdout) as {files: Array<Record<string, unknown>>}).files;
    assert.equal(files[0]!.sha1, sha1, 'kept from the first use');
  });

  test('a URL is not taken for a file name', () => {
    const r = run(['image', 'import', 'https://images.example/x.tar.xz']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /importing from a URL .* comes with remote support/);
  });
});
