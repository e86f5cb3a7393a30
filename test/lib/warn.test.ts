// src/lib/warn.ts: one warning type, warned in lenient mode and thrown in strict mode.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {UserError} from '../../src/lib/errors.js';
import {warnOrFail, type Warning} from '../../src/lib/warn.js';

describe('warnOrFail', () => {
  test('lenient: the warning goes to onWarning with its code, message and data', () => {
    const seen: Warning[] = [];
    warnOrFail({onWarning: (w) => seen.push(w)}, 'TemplateMissing', 'no such template', {template: 'x.tpl'});
    warnOrFail({onWarning: (w) => seen.push(w)}, 'CleanupFailed', 'could not remove');
    assert.deepEqual(seen, [
      {code: 'TemplateMissing', message: 'no such template', data: {template: 'x.tpl'}},
      {code: 'CleanupFailed', message: 'could not remove'},
    ]);
    warnOrFail({}, 'TemplateMissing', 'nobody listens');
  });

  test('strict: the same code and message as a UserError, and onWarning is not called', () => {
    let called = false;
    assert.throws(
      () => warnOrFail({strict: true, onWarning: () => (called = true)}, 'TemplateMissing', 'no such template'),
      (err: unknown) => err instanceof UserError && err.code === 'TemplateMissing' && err.message === 'no such template' && err.exit === 1,
    );
    assert.equal(called, false);
  });
});
