// img image prune: what it removes, and its words, with images.remote_cache_expiry from img config.
import assert from 'node:assert/strict';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {fingerprintIn, img} from '../../helpers/cli.js';
import {tinyImage} from '../../helpers/store.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();

describe('img image prune', () => {
  test('lists with --dry-run, removes without it, follows images.remote_cache_expiry, and never touches images imported by hand', () => {
    const home = join(work, 'h');
    const run = (...args: string[]) => img(args, {home});
    writeFileSync(join(work, 'a.tar'), tinyImage('cached'));
    writeFileSync(join(work, 'b.tar'), tinyImage('mine'));
    const cached = fingerprintIn(run('image', 'import', join(work, 'a.tar')).stdout)!;
    const mine = fingerprintIn(run('image', 'import', join(work, 'b.tar')).stdout)!;
    // As if img init had downloaded it 20 days ago and nothing had used it since.
    const record = join(home, 'images', cached, 'image.json');
    writeFileSync(
      record,
      JSON.stringify({...JSON.parse(readFileSync(record, 'utf8')), cached: true, uploaded_at: new Date(Date.now() - 20 * 86_400_000).toISOString()}),
    );

    const dry = run('image', 'prune', '--dry-run');
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`^Would remove ${cached} \\(cached \\S+, never used, more than 10 days ago\\)\\n$`));
    assert.equal(run('config', 'set', 'images.remote_cache_expiry', '30').code, 0);
    assert.equal(run('image', 'prune').stdout, 'Nothing to prune\n');
    assert.equal(run('config', 'unset', 'images.remote_cache_expiry').code, 0);
    const json = JSON.parse(run('image', 'prune', '--format', 'json').stdout) as Array<{fingerprint: string; reason: string}>;
    assert.deepEqual(
      json.map((r) => [r.fingerprint, r.reason]),
      [[cached, 'unused']],
    );
    const left = JSON.parse(run('image', 'list', '--format', 'json').stdout) as Array<{fingerprint: string}>;
    assert.deepEqual(
      left.map((i) => i.fingerprint),
      [mine],
    );
  });
});
