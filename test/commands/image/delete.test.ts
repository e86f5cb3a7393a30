// `img image delete`: every name resolved before anything is deleted.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {sampleStore} from '../../helpers/sample-store.js';
import {tempDir} from '../../helpers/tmp.js';

describe('img image delete', () => {
  test('resolves every name first; removes images and their aliases', () => {
    const s = sampleStore(tempDir());
    const r = s.run(['image', 'delete', 'split', 'nope']);
    assert.equal(r.code, 3);
    assert.equal(s.run(['image', 'info', 'split']).code, 0, 'nothing was deleted');
    assert.equal(s.run(['image', 'delete', 'split', 'tiny']).code, 0);
    assert.equal(s.run(['image', 'list', '--format', 'json']).stdout, '[]\n');
    assert.equal(s.run(['image', 'alias', 'list', '--format', 'json']).stdout, '[]\n');
  });
});
