// src/lib/error-codes.ts: every code img reports, each used, each in the README with its exit status.
import assert from 'node:assert/strict';
import {readdirSync, readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {ERROR_CODES, type ErrorCode} from '../../src/lib/error-codes.js';
import {InvalidImageError, NotFoundError, UsageError, UserError, userFsError} from '../../src/lib/errors.js';
import {PROJECT} from '../helpers/cli.js';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') ? [p] : [];
  });
}

describe('error codes', () => {
  test('the README lists every code with its exit status and meaning, and nothing else', () => {
    const readme = readFileSync(join(PROJECT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('\n## Error codes'));
    const body = section.slice(1, section.indexOf('\n## ', 1) === -1 ? undefined : section.indexOf('\n## ', 1));
    const rows = [...body.matchAll(/^\| `(\w+)` \| (\d) \| (.+) \|$/gm)].map((m) => [m[1], Number(m[2]), m[3]]);
    const expected = Object.entries(ERROR_CODES).map(([code, {exit, summary}]) => [code, exit, summary]);
    assert.deepEqual(rows, expected);
  });

  test('every code in the catalogue is used by img', () => {
    const text = sources(join(PROJECT, 'src'))
      .filter((f) => !f.endsWith('error-codes.ts'))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const unused = Object.keys(ERROR_CODES).filter((code) => !text.includes(`'${code}'`));
    assert.deepEqual(unused, []);
  });

  test('the exit status comes with the code', () => {
    const exit = (code: ErrorCode) => new UserError('x', {code}).exit;
    assert.equal(exit('ImageNotFound'), 3);
    assert.equal(exit('Usage'), 2);
    assert.equal(exit('HashMismatch'), 1);
    assert.equal(new NotFoundError('x').exit, 3);
    assert.equal(new NotFoundError('x', 'AliasNotFound').code, 'AliasNotFound');
    assert.equal(new UsageError('x').exit, 2);
    assert.equal(new UsageError('x', 'IsDirectory').exit, 2);
    assert.equal(new InvalidImageError('x', 'CorruptArchive').exit, 1);
    assert.equal(new UserError('x', {code: 'Usage', hint: 'try --help'}).hint, 'try --help');
  });

  test('filesystem errors on user-named paths become user errors; others are rethrown', () => {
    const code = (errno: string) => {
      try {
        userFsError(Object.assign(new Error(errno), {code: errno}), '/some/path');
      } catch (err) {
        return err instanceof UserError ? `${err.code}: ${err.message}` : `bug: ${(err as Error).message}`;
      }
    };
    assert.equal(code('ENOENT'), 'FileNotFound: /some/path: no such file or directory');
    assert.equal(code('EACCES'), 'PermissionDenied: /some/path: permission denied');
    assert.equal(code('ENOSPC'), 'NoSpace: /some/path: no space left on device');
    assert.equal(code('EIO'), 'bug: EIO');
  });
});
