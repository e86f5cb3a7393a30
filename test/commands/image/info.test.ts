// `img image info`: lxc's text, resolution by alias and prefix, exit 3 for not found, --digests.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {statSync} from 'node:fs';
import {join} from 'node:path';
import {before, describe, test} from 'node:test';
import {img} from '../../helpers/cli.js';
import {makeImageTree, unifiedTarball} from '../../helpers/images.js';
import {sampleStore, type SampleStore} from '../../helpers/sample-store.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();
let s: SampleStore;
before(() => {
  s = sampleStore(work);
});

describe('img image info', () => {
  test('by alias, by prefix (any case); not found is exit 3; ambiguous prefix is an error', () => {
    const {unified, split} = s;
    const byAlias = s.run(['image', 'info', 'tiny']);
    assert.equal(byAlias.code, 0);
    assert.equal(byAlias.stdout.split('\n')[0], `Fingerprint: ${unified}`);
    assert.match(
      byAlias.stdout,
      /\nTimestamps:\n {4}Created: 2023\/11\/14 22:13 UTC\n {4}Uploaded: \d{4}\/\d\d\/\d\d \d\d:\d\d UTC\n {4}Expires: never\n {4}Last used: never\nProperties:\n {4}description: tinyos 1\.0 test image\n {4}extra: yes\n {4}os: override\n {4}release: 1\.0\nAliases:\n {4}- t2\n {4}- tiny\nCached: no\nAuto update: disabled\nProfiles:\n {4}- default\n$/,
    );
    assert.equal(s.run(['image', 'info', unified.slice(0, 10).toUpperCase()]).code, 0);
    assert.equal(s.run(['image', 'info', `local:${unified.slice(0, 10)}`]).code, 0);
    const nf = s.run(['image', 'info', 'nope']);
    assert.equal(nf.code, 3);
    assert.equal(nf.stderr, 'Error: Image "nope" not found\n');
    const common = unified.split('').findIndex((c, i) => c !== split[i]);
    if (common > 0) {
      const amb = s.run(['image', 'info', unified.slice(0, common)]);
      assert.equal(amb.code, 1);
      assert.match(amb.stderr, /More than one image matches|ambiguous/);
    }
    assert.equal(s.run(['image', 'info', '']).code, 3);
    const other = s.run(['image', 'info', 'elsewhere:tiny', '--format', 'json']);
    assert.equal(other.code, 1);
    assert.deepEqual(JSON.parse(other.stderr.split('\n')[1]!), {error: 'The remote "elsewhere" doesn\'t exist', code: 'RemoteNotFound'});
  });

  test("--digests prints each file's digests after lxc's fields; --format json carries them", () => {
    const h = join(work, 'home-digests');
    const tarball = unifiedTarball(makeImageTree(join(work, 'dg-tree'), {seed: 'digests'}), join(work, 'dg.tar.gz'), 'z');
    assert.equal(img(['image', 'import', tarball, '--alias', 'dg'], {home: h}).code, 0);
    const sha1 = execFileSync('sha1sum', [tarball], {encoding: 'utf8'}).slice(0, 40);
    const md5 = execFileSync('md5sum', [tarball], {encoding: 'utf8'}).slice(0, 32);
    assert.doesNotMatch(img(['image', 'info', 'dg'], {home: h}).stdout, /Files:/, 'plain info stays as lxc prints it');
    const out = img(['image', 'info', 'dg', '--digests'], {home: h}).stdout;
    assert.match(
      out,
      new RegExp(
        `\\nProfiles:\\n {4}- default\\nFiles:\\n {4}- unified: ${statSync(tarball).size} bytes, tar \\(gzip\\)\\n {6}sha256: [0-9a-f]{64}\\n {6}sha1: ${sha1}\\n {6}md5: ${md5}\\n$`,
      ),
    );
    const files = (JSON.parse(img(['image', 'info', 'dg', '--format', 'json'], {home: h}).stdout) as {files: Array<Record<string, unknown>>}).files;
    assert.equal(files[0]!.sha1, sha1, 'kept from the first use');
  });
});
