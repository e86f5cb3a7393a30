// `img image import` as users drive it: output shaped as lxc's, properties, stdin, --move.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {before, describe, test} from 'node:test';
import {fingerprintIn, img} from '../../helpers/cli.js';
import {makeImageTree, unifiedTarball} from '../../helpers/images.js';
import {sampleFiles, type SampleFiles} from '../../helpers/sample-store.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();
let files: SampleFiles;
before(() => {
  files = sampleFiles(join(work, 'files'));
});

const info = (home: string, ref: string) => JSON.parse(img(['image', 'info', ref, '--format', 'json'], {home}).stdout) as Record<string, unknown>;

describe('img image import', () => {
  test('prints the full fingerprint and takes aliases and key=value properties', () => {
    const home = join(work, 'home-basic');
    const r = img(['image', 'import', files.unified, '--alias', 'tiny', '--alias', 't2', 'extra=yes', 'os=override'], {home});
    assert.equal(r.code, 0, r.stderr);
    const unified = fingerprintIn(r.stdout)!;
    assert.equal(r.stdout, `Image imported with fingerprint: ${unified}\n`);
    assert.equal(unified, execFileSync('sha256sum', [files.unified], {encoding: 'utf8'}).slice(0, 64));
    assert.deepEqual(info(home, 'tiny').properties, {description: 'tinyos 1.0 test image', extra: 'yes', os: 'override', release: '1.0'});
    const s = img(['image', 'import', files.meta, files.root, '--alias', 'split', '--public'], {home});
    assert.equal(s.code, 0, s.stderr);
    const cat = execFileSync('sh', ['-c', `cat "$1" "$2" | sha256sum`, 'sh', files.meta, files.root], {encoding: 'utf8'}).slice(0, 64);
    assert.equal(fingerprintIn(s.stdout), cat);
  });

  test('from stdin', () => {
    const home = join(work, 'home-stdin');
    const r = img(['image', 'import', '-', '--alias', 'piped'], {home, input: readFileSync(files.unified) as unknown as string});
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fingerprintIn(r.stdout), execFileSync('sha256sum', [files.unified], {encoding: 'utf8'}).slice(0, 64));
    assert.equal(info(home, 'piped').filename, '');
  });

  test('key=value is a property whatever the filesystem holds; ./name=x is a file', () => {
    const home = join(work, 'home-props');
    const dir = join(work, 'props');
    mkdirSync(dir);
    copyFileSync(files.unified, join(dir, 'os=odd.tar.xz'));
    const asProperty = img(['image', 'import', files.unified, 'os=odd.tar.xz'], {home, cwd: dir});
    assert.equal(asProperty.code, 0, asProperty.stderr);
    assert.equal(
      (info(home, fingerprintIn(asProperty.stdout)!).properties as Record<string, string>).os,
      'odd.tar.xz',
      'an existing file of that name does not change the meaning',
    );
    const asFile = img(['image', 'import', './os=odd.tar.xz', '--alias', 'odd'], {home: join(work, 'home-props2'), cwd: dir});
    assert.equal(asFile.code, 0, asFile.stderr);
    assert.equal(info(join(work, 'home-props2'), 'odd').filename, 'os=odd.tar.xz');
    const onlyProperty = img(['image', 'import', 'os=odd.tar.xz'], {home: join(work, 'home-props4'), cwd: dir});
    assert.equal(onlyProperty.code, 2);
    assert.equal(
      onlyProperty.stderr,
      'Error: give one unified image, or a metadata file and a rootfs file (a file whose name has "=" is given with a directory, as ./name=x.tar)\n',
    );
    assert.equal(img(['image', 'import', files.unified, 'local:'], {home: join(work, 'home-props3')}).code, 0, 'local: names the target remote');
    assert.equal(img(['image', 'import', files.unified, 'elsewhere:'], {home: join(work, 'home-props3')}).code, 1);
  });

  test('--format json prints the LXD image object', () => {
    const r = img(['image', 'import', files.unified, '--format', 'json'], {home: join(work, 'home-json')});
    assert.equal(r.code, 0, r.stderr);
    const obj = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(obj.fingerprint, execFileSync('sha256sum', [files.unified], {encoding: 'utf8'}).slice(0, 64));
    assert.deepEqual(Object.keys(obj).slice(0, 6), ['auto_update', 'properties', 'public', 'expires_at', 'profiles', 'aliases']);
    assert.equal(obj.type, 'container');
  });

  test('a directory is refused with a hint: on its own in JSON, in brackets for people', () => {
    const r = img(['image', 'import', work, '--format', 'json'], {home: join(work, 'home-dir')});
    assert.equal(r.code, 2);
    const [line, json] = r.stderr.trimEnd().split('\n');
    assert.equal(line, `Error: ${work}: is a directory (build an image from a directory with img publish --rootfs)`);
    assert.deepEqual(JSON.parse(json!), {
      error: `${work}: is a directory`,
      code: 'IsDirectory',
      hint: 'build an image from a directory with img publish --rootfs',
    });
  });

  test('a URL is not taken for a file name: one of another scheme is a usage error (http(s) ones: import-url.test.ts)', () => {
    const r = img(['image', 'import', 'ftp://images.example/x.tar.xz'], {home: join(work, 'home-url')});
    assert.equal(r.code, 2);
    assert.match(r.stderr, /only http:\/\/ and https:\/\/ URLs can be imported: ftp:\/\/images\.example\/x\.tar\.xz/);
  });
});

describe('img image import --move and moving aliases', () => {
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
    assert.equal(info(h, 'current').fingerprint, fb);
    assert.deepEqual(info(h, fa).aliases, []);
  });
});
