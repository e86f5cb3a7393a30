// `img image export`: LXD's names and target rules, byte-identical files, and stdout.
import assert from 'node:assert/strict';
import {spawn} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdirSync, readdirSync, readFileSync} from 'node:fs';
import {join} from 'node:path';
import {before, describe, test} from 'node:test';
import {fingerprintIn, IMG_BIN, img} from '../../helpers/cli.js';
import {writeBigImage} from '../../helpers/hostile.js';
import {sampleStore, type SampleStore} from '../../helpers/sample-store.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();
let s: SampleStore;
before(() => {
  s = sampleStore(work);
});

describe('img image export', () => {
  test('names files as LXD does and gives them back byte for byte', () => {
    const {unified, split, files} = s;
    const dir = join(work, 'exp');
    mkdirSync(dir);
    assert.equal(s.run(['image', 'export', 'tiny', dir]).code, 0);
    assert.equal(s.run(['image', 'export', 'split', dir]).code, 0);
    assert.deepEqual(readdirSync(dir).sort(), [`${split}.squashfs`, `${unified}.tar.xz`, `meta-${split}.tar.xz`].sort());
    assert.ok(readFileSync(join(dir, `${unified}.tar.xz`)).equals(readFileSync(files.unified)));
    assert.ok(readFileSync(join(dir, `meta-${split}.tar.xz`)).equals(readFileSync(files.meta)));
    assert.ok(readFileSync(join(dir, `${split}.squashfs`)).equals(readFileSync(files.root)));
    // A target that is not a directory names the file (unified: plus the extension; split: name + name.root).
    assert.equal(s.run(['image', 'export', 'tiny', join(dir, 'named')]).code, 0);
    assert.equal(s.run(['image', 'export', 'split', join(dir, 'sp')]).code, 0);
    assert.ok(readFileSync(join(dir, 'named.tar.xz')).equals(readFileSync(files.unified)));
    assert.ok(readFileSync(join(dir, 'sp')).equals(readFileSync(files.meta)));
    assert.ok(readFileSync(join(dir, 'sp.root')).equals(readFileSync(files.root)));
    // Default target: the current directory.
    const cwd = join(work, 'cwd');
    mkdirSync(cwd);
    assert.equal(img(['image', 'export', 'tiny'], {home: s.home, cwd}).code, 0);
    assert.deepEqual(readdirSync(cwd), [`${unified}.tar.xz`]);
    assert.equal(s.run(['image', 'export', 'tiny', join(work, 'missing-dir') + '/']).code, 1);
  });

  test('- writes a unified image to stdout; a split one cannot', async () => {
    const out = await exportToPipe(s.home, 'tiny');
    assert.equal(out.code, 0, out.stderr);
    assert.ok(out.stdout.equals(readFileSync(s.files.unified)));
    const r = s.run(['image', 'export', 'split', '-']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /split image/);
  });

  test('- of a 50 MB image through a slow pipe: the exact bytes, and nothing on stderr', async () => {
    const home = join(work, 'home-big');
    const big = join(work, 'big.tar');
    writeBigImage(big, 50);
    const r = img(['image', 'import', big, '--alias', 'big'], {home});
    assert.equal(r.code, 0, r.stderr);
    const out = await exportToPipe(home, 'big', true);
    assert.equal(out.stderr, '', 'no MaxListenersExceededWarning or anything else');
    assert.equal(out.code, 0);
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    assert.equal(out.stdout.length, readFileSync(big).length);
    assert.equal(sha(out.stdout), fingerprintIn(r.stdout));
  });
});

/** `img image export <ref> -` with stdout a pipe; with `slow`, the reader pauses now and then, so the writer meets back-pressure many times. */
function exportToPipe(home: string, ref: string, slow = false): Promise<{code: number; stdout: Buffer; stderr: string}> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [IMG_BIN, 'image', 'export', ref, '-'], {env: {...process.env, IMG_HOME: home}});
    const parts: Buffer[] = [];
    let stderr = '';
    let n = 0;
    child.stdout.on('data', (d: Buffer) => {
      parts.push(d);
      if (slow && ++n % 16 === 0) {
        child.stdout.pause();
        setTimeout(() => child.stdout.resume(), 5);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({code: code ?? -1, stdout: Buffer.concat(parts), stderr}));
  });
}
