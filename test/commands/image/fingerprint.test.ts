// `img image fingerprint`: LXD's fingerprint without importing.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {before, describe, test} from 'node:test';
import {img} from '../../helpers/cli.js';
import {sampleFiles, type SampleFiles} from '../../helpers/sample-store.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();
const home = join(work, 'home');
let files: SampleFiles;
before(() => {
  files = sampleFiles(join(work, 'files'));
});

describe('img image fingerprint', () => {
  test('agrees with sha256sum (unified) and with sha256 of metadata ‖ root (split)', () => {
    assert.equal(
      img(['image', 'fingerprint', files.unified], {home}).stdout,
      execFileSync('sha256sum', [files.unified], {encoding: 'utf8'}).slice(0, 64) + '\n',
    );
    const cat = execFileSync('sh', ['-c', `cat "$1" "$2" | sha256sum`, 'sh', files.meta, files.root], {encoding: 'utf8'}).slice(0, 64);
    assert.equal(img(['image', 'fingerprint', files.meta, files.root], {home}).stdout, `${cat}\n`);
    assert.deepEqual(Object.keys(JSON.parse(img(['image', 'fingerprint', files.unified, '--format', 'json'], {home}).stdout)), [
      'fingerprint',
      'size',
      'files',
    ]);
  });

  test('refuses what LXD refuses', () => {
    const junk = join(work, 'junk.bin');
    writeFileSync(junk, 'not an image at all, and long enough to be sniffed properly'.repeat(10));
    const r = img(['image', 'fingerprint', junk], {home});
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Unsupported compression/);
  });
});
