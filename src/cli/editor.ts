import {spawnSync} from 'node:child_process';
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {createInterface} from 'node:readline/promises';
import {isUserError, UserError} from '../lib/errors.js';

/**
 * Read all of a stream as UTF-8 text, refusing it once it passes `max` bytes, without holding
 * more than that: an edit piped in is a small document, never an image.
 */
export async function readCapped(input: AsyncIterable<Uint8Array>, max: number, what: string): Promise<string> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const chunk of input) {
    n += chunk.length;
    if (n > max) throw new UserError(`${what} is larger than ${max >> 20} MiB`, {code: 'TooLarge'});
    parts.push(Buffer.from(chunk));
  }
  return Buffer.concat(parts).toString('utf8');
}

/**
 * lxc's edit loop: write `text` to a temporary file, open $VISUAL or $EDITOR (vi) on it, and hand
 * the result to `apply`. When `apply` refuses it with a user error, say why, wait for Enter and
 * reopen the editor on the user's text; an editor that fails, or an image that went away, ends it.
 */
export async function editLoop(name: string, text: string, apply: (edited: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'img-edit-'));
  const file = join(dir, name);
  try {
    await writeFile(file, text);
    const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
    for (;;) {
      const r = spawnSync('sh', ['-c', `${editor} "$1"`, 'sh', file], {stdio: 'inherit'});
      if (r.status !== 0) throw new UserError(`the editor (${editor}) failed`, {code: 'EditorFailed'});
      try {
        await apply(await readFile(file, 'utf8'));
        return;
      } catch (err) {
        if (!isUserError(err) || err.code === 'ImageNotFound') throw err;
        process.stderr.write(`Config parsing error: ${err.message}\n`);
        const rl = createInterface({input: process.stdin, output: process.stderr});
        await rl.question('Press enter to open the editor again or ctrl+c to abort change');
        rl.close();
      }
    }
  } finally {
    await rm(dir, {recursive: true, force: true});
  }
}
