import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

const made: string[] = [];
// At exit, not in an after() hook: node:test runs each file in its own process, and an after()
// registered inside a before() hook would remove the directory as soon as that hook ends.
process.once('exit', () => {
  for (const dir of made) rmSync(dir, {recursive: true, force: true});
});

/** A temporary directory removed when the test file's process ends. */
export function tempDir(prefix = 'img-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}
