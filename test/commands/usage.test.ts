// What every command shares: usage errors, JSON errors and their codes, exit statuses.
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {img, isCleanError} from '../helpers/cli.js';
import {tempDir} from '../helpers/tmp.js';

const home = join(tempDir(), 'home');

describe('usage errors', () => {
  test('missing arguments, unknown flags and commands exit 2 with one line', () => {
    for (const args of [
      ['image', 'import'],
      ['image', 'list', '--bogus'],
      ['image', 'bogus'],
      ['image', 'list', '--format', 'bogus'],
    ]) {
      const r = img(args, {home});
      assert.equal(r.code, 2, args.join(' '));
      assert.ok(isCleanError(r.stderr), r.stderr);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  test('with --format json an error is also a JSON object with its code on stderr', () => {
    const r = img(['image', 'info', 'nope', '--format', 'json'], {home});
    assert.equal(r.code, 3);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'Error: Image "nope" not found\n{"error":"Image \\"nope\\" not found","code":"ImageNotFound"}\n');
    const usage = img(['image', 'list', '--format', 'json', '-c', 'q'], {home});
    assert.equal(usage.code, 2);
    assert.equal(JSON.parse(usage.stderr.split('\n')[1]!).code, 'Usage');
  });
});
