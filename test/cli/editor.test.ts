// src/cli/editor.ts: the capped reader of an edit piped in, and the edit loop with a scripted editor.
import assert from 'node:assert/strict';
import {Readable} from 'node:stream';
import {describe, test} from 'node:test';
import {editLoop, readCapped} from '../../src/cli/editor.js';
import {UserError} from '../../src/lib/errors.js';

describe('readCapped', () => {
  test('reads everything up to the cap, and refuses one byte more', async () => {
    assert.equal(await readCapped(Readable.from([Buffer.from('ab'), Buffer.from('c')]), 3, 'input'), 'abc');
    await assert.rejects(readCapped(Readable.from([Buffer.alloc(3 << 20)]), 1 << 20, 'the edited YAML'), (err: unknown) => {
      return err instanceof UserError && err.code === 'TooLarge' && err.message === 'the edited YAML is larger than 1 MiB';
    });
  });
});

describe('editLoop', () => {
  test('hands the edited text to apply; an editor that fails is EditorFailed', async () => {
    const saved = {visual: process.env.VISUAL, editor: process.env.EDITOR};
    try {
      process.env.VISUAL = "sed -i 's/false/true/'";
      let applied = '';
      await editLoop('x.yaml', 'public: false\n', async (text) => {
        applied = text;
      });
      assert.equal(applied, 'public: true\n');
      process.env.VISUAL = 'false';
      await assert.rejects(
        editLoop('x.yaml', '', async () => undefined),
        (err: unknown) => err instanceof UserError && err.code === 'EditorFailed',
      );
      // A refusal that is not a user error (a bug) is not retried.
      process.env.VISUAL = 'true';
      await assert.rejects(
        editLoop('x.yaml', '', async () => {
          throw new Error('bug');
        }),
        /bug/,
      );
    } finally {
      if (saved.visual === undefined) delete process.env.VISUAL;
      else process.env.VISUAL = saved.visual;
    }
  });
});
