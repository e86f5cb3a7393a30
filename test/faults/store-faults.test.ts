// Must-show 4: hostile or broken input is refused fast, in little memory, with one `Error:` line
// and the store untouched; kill -9 in the middle of a large import leaves the store sound and the
// same import then works; concurrent imports all land; a waiting process waits for the lock.
import assert from 'node:assert/strict';
import {spawn, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readdirSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {fingerprintIn, hasCommand, IMG_BIN, img, imgAsync, isCleanError, PROJECT} from '../helpers/cli.js';
import {GOOD_META, writeBigImage, writeHostileImages} from '../helpers/hostile.js';
import {tarBytes} from '../helpers/tar-bytes.js';
import {tempDir} from '../helpers/tmp.js';

const work = tempDir();
const hostile = join(work, 'hostile');
mkdirSync(hostile);
const files = writeHostileImages(hostile);
const TIME = hasCommand('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Run img under /usr/bin/time (when installed) for its peak RSS; a 20 s guard catches hangs. */
function measured(args: string[], home: string): {code: number; stderr: string; stdout: string; rssKiB?: number} {
  const cmd = TIME ? [TIME, '-f', 'maxrss=%M', process.execPath, IMG_BIN, ...args] : [process.execPath, IMG_BIN, ...args];
  const r = spawnSync(cmd[0]!, cmd.slice(1), {env: {...process.env, IMG_HOME: home}, encoding: 'utf8', timeout: 20_000});
  const m = /maxrss=(\d+)/.exec(r.stderr);
  const stderr = r.stderr.replace(/^.*maxrss=\d+\n?/m, '').replace(/^Command exited with non-zero status \d+\n/m, '');
  return {code: r.status ?? -1, stderr, stdout: r.stdout, ...(m ? {rssKiB: Number(m[1])} : {})};
}

function storeState(home: string): string {
  return img(['image', 'list', '--format', 'json'], {home}).stdout;
}

describe('hostile and broken input is refused cleanly, the store untouched', () => {
  const home = join(work, 'home-hostile');
  const good = join(work, 'good.tar');
  writeFileSync(
    good,
    tarBytes([
      ['metadata.yaml', GOOD_META],
      ['rootfs/', ''],
      ['rootfs/etc/hostname', 'ok\n'],
    ]),
  );

  test('a benign image imports (so refusing everything would fail this suite)', () => {
    const r = img(['image', 'import', good, '--alias', 'benign'], {home});
    assert.equal(r.code, 0, r.stderr);
  });

  const expected: Record<string, RegExp> = {
    'yamlbomb.tar': /metadata\.yaml: line \d+: cannot unmarshal !!seq into string/,
    'yamlbomb-templates.tar': /metadata\.yaml/,
    'hugemeta.tar': /metadata\.yaml is too large \(67108\d+ bytes; the limit is 1048576\)/,
    'truncated.tar.xz': /truncated\.tar\.xz: xz data is corrupt or truncated/,
    'random.tar.gz': /random\.tar\.gz: gzip data is corrupt or truncated|not a valid tar/,
    'random.bin': /Unsupported compression/,
    'lz4.tar.lz4': /Unsupported compression \(lz4 is not supported by LXD\)/,
    'empty.tar': /file is empty/,
    'no-metadata.tar': /Metadata tarball is missing metadata\.yaml/,
    'metadata-only.tar': /Invalid instance type/,
    'bad-arch.tar': /Architecture isn't supported: X86_64/,
    'bad-date.tar': /cannot unmarshal !!str `2023-01-01` into int64/,
    'bad-utf8.tar': /invalid UTF-8/,
  };
  for (const [name, message] of Object.entries(expected)) {
    test(`${name}: refused with one clear line, exit 1, little memory, store unchanged`, () => {
      const before = storeState(home);
      const r = measured(['image', 'import', files[name]!, '--alias', 'bad'], home);
      assert.equal(r.code, 1, `exit status (stderr: ${r.stderr})`);
      assert.match(r.stderr, message);
      assert.ok(isCleanError(r.stderr), `one Error line, no stack: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      if (r.rssKiB !== undefined) assert.ok(r.rssKiB < 200 * 1024, `peak RSS ${r.rssKiB} KiB`);
      assert.equal(storeState(home), before, 'the store is as it was');
      assert.equal(img(['image', 'info', 'bad'], {home}).code, 3);
      assert.deepEqual(readdirSync(join(home, 'tmp')), [], 'no leftovers in tmp/');
    });
  }

  test("a duplicate import fails with LXD's words and creates no alias", () => {
    // Its own store: the test must not depend on the benign import above having run.
    const dupHome = join(work, 'home-dup');
    assert.equal(img(['image', 'import', good], {home: dupHome}).code, 0);
    const r = img(['image', 'import', good, '--alias', 'dup-alias'], {home: dupHome});
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^Error: Image with same fingerprint already exists: [0-9a-f]{64}$/m);
    assert.equal(img(['image', 'info', 'dup-alias'], {home: dupHome}).code, 3);
  });

  test('with --format json an error is also a JSON object on stderr', () => {
    const r = img(['image', 'import', files['bad-arch.tar']!, '--format', 'json'], {home});
    assert.equal(r.code, 1);
    const json = r.stderr.split('\n').find((l) => l.startsWith('{'));
    assert.deepEqual(JSON.parse(json!), {
      error: "bad-arch.tar: Architecture isn't supported: X86_64".replace('bad-arch.tar: ', ''),
      code: 'UnsupportedArchitecture',
    });
    assert.equal(r.stdout, '');
  });
});

describe('interruptions and concurrency', () => {
  const big = writeBigImage(join(work, 'big.tar'), 400);

  test('kill -9 in the middle of a 400 MB import leaves the store sound; the same import then works', async () => {
    const home = join(work, 'home-kill');
    const child = spawn(process.execPath, [IMG_BIN, 'image', 'import', big, '--alias', 'big'], {env: {...process.env, IMG_HOME: home}, stdio: 'ignore'});
    const exited = new Promise((r) => child.once('exit', r));
    // Wait until the copy is well under way, then kill it.
    const deadline = Date.now() + 20_000;
    let partial = 0;
    while (Date.now() < deadline && partial < 50 << 20) {
      await new Promise((r) => setTimeout(r, 20));
      const tmp = join(home, 'tmp');
      const dirs = existsSync(tmp) ? readdirSync(tmp).filter((n) => n.startsWith('import-') && !n.endsWith('.lock')) : [];
      for (const d of dirs) if (existsSync(join(tmp, d, 'unified'))) partial = statSync(join(tmp, d, 'unified')).size;
    }
    assert.ok(partial >= 50 << 20, 'the import was caught in the middle');
    child.kill('SIGKILL');
    await exited;
    assert.equal(JSON.parse(img(['image', 'list', '--format', 'json'], {home}).stdout).length, 0, 'no half image is visible');
    assert.equal(img(['image', 'info', 'big'], {home}).code, 3);
    assert.equal(img(['image', 'verify'], {home}).code, 0);
    const again = img(['image', 'import', big, '--alias', 'big'], {home});
    assert.equal(again.code, 0, again.stderr);
    const v = img(['image', 'verify', 'big'], {home});
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^ok [0-9a-f]{64}$/m);
    assert.deepEqual(readdirSync(join(home, 'tmp')), [], "the killed import's leftovers were cleaned up");
  });

  test('four concurrent imports of different images all land', async () => {
    const home = join(work, 'home-concurrent');
    const paths = [1, 2, 3, 4].map((i) => {
      const p = join(work, `c${i}.tar`);
      writeFileSync(
        p,
        tarBytes([
          ['metadata.yaml', GOOD_META],
          ['rootfs/', ''],
          ['rootfs/n', `${i}\n`],
        ]),
      );
      return p;
    });
    const results = await Promise.all(paths.map((p, i) => imgAsync(['image', 'import', p, '--alias', `cc${i + 1}`], {home})));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse(img(['image', 'list', '--format', 'json'], {home}).stdout) as Array<{aliases: Array<{name: string}>}>;
    assert.deepEqual(list.flatMap((i) => i.aliases.map((a) => a.name)).sort(), ['cc1', 'cc2', 'cc3', 'cc4']);
    assert.equal(img(['image', 'verify'], {home}).code, 0);
  });

  test('the same image imported four times at once lands once; the others are told it exists', async () => {
    const home = join(work, 'home-same');
    const p = join(work, 'same.tar');
    writeFileSync(
      p,
      tarBytes([
        ['metadata.yaml', GOOD_META],
        ['rootfs/', ''],
        ['rootfs/same', 'x\n'],
      ]),
    );
    const results = await Promise.all([1, 2, 3, 4].map(() => imgAsync(['image', 'import', p], {home})));
    assert.equal(results.filter((r) => r.code === 0).length, 1);
    for (const r of results.filter((x) => x.code !== 0)) assert.match(r.stderr, /already exists/);
    assert.equal(JSON.parse(img(['image', 'list', '--format', 'json'], {home}).stdout).length, 1);
  });

  test('a process waits for the store lock while another holds it, and goes on when the holder is killed', async () => {
    const home = join(work, 'home-lock');
    mkdirSync(home, {recursive: true});
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const fs=require('fs');const x=require('fs-native-extensions');const fd=fs.openSync(process.argv[1],'a+');x.tryLock(fd)||process.exit(9);process.stdout.write('locked\\n');setInterval(()=>{},1000)`,
        join(home, 'store.lock'),
      ],
      {cwd: PROJECT, stdio: ['ignore', 'pipe', 'inherit']},
    );
    await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
    const p = join(work, 'locked.tar');
    writeFileSync(
      p,
      tarBytes([
        ['metadata.yaml', GOOD_META],
        ['rootfs/', ''],
        ['rootfs/lock', 'x\n'],
      ]),
    );
    let finished = false;
    const importing = imgAsync(['image', 'import', p, '--alias', 'waited'], {home}).then((r) => {
      finished = true;
      return r;
    });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(finished, false, 'the import waits while the lock is held');
    holder.kill('SIGKILL');
    const r = await importing;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(fingerprintIn(r.stdout)?.length, 64);
  });
});
