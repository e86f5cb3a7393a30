// `img image alias create|delete|rename|list`, as lxc's.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {sampleStore} from '../../helpers/sample-store.js';
import {tempDir} from '../../helpers/tmp.js';

describe('img image alias', () => {
  test('create (prefix target), list, rename, delete; errors', () => {
    const s = sampleStore(tempDir());
    const {unified, split} = s;
    assert.equal(s.run(['image', 'alias', 'create', 'by-prefix', split.slice(0, 12), '--description', 'Split one']).code, 0);
    assert.equal(s.run(['image', 'alias', 'create', 'by-prefix', unified]).stderr, 'Error: Alias already exists: by-prefix\n');
    assert.equal(s.run(['image', 'alias', 'create', 'x', 'tiny']).code, 3, 'an alias is not a target');
    assert.equal(s.run(['image', 'alias', 'create', 'bad:name', unified]).code, 1);
    const list = s.run(['image', 'alias', 'list', '--format', 'csv']).stdout;
    assert.equal(
      list,
      `by-prefix,${split.slice(0, 12)},CONTAINER,Split one\nsplit,${split.slice(0, 12)},CONTAINER,\nt2,${unified.slice(0, 12)},CONTAINER,\ntiny,${unified.slice(0, 12)},CONTAINER,\n`,
    );
    assert.deepEqual(JSON.parse(s.run(['image', 'alias', 'list', 'by-', '--format', 'json']).stdout), [
      {description: 'Split one', target: split, name: 'by-prefix', type: 'container'},
    ]);
    assert.deepEqual(JSON.parse(s.run(['image', 'alias', 'list', 'local:by-', '--format', 'json']).stdout).length, 1, 'local: may prefix the filter');
    assert.match(s.run(['image', 'info', 'split']).stdout, /Aliases:\n {4}- by-prefix \(Split one\)\n {4}- split\n/);
    assert.equal(s.run(['image', 'alias', 'rename', 'by-prefix', 'tiny']).stderr, 'Error: Alias already exists: tiny\n');
    assert.equal(s.run(['image', 'alias', 'rename', 'by-prefix', 'renamed']).code, 0);
    assert.equal(s.run(['image', 'alias', 'rename', 'by-prefix', 'other']).code, 3);
    assert.equal(s.run(['image', 'alias', 'delete', 'renamed']).code, 0);
    assert.equal(s.run(['image', 'alias', 'delete', 'local:renamed']).code, 3);
    const table = s.run(['image', 'alias', 'list']).stdout;
    assert.match(table, /^\+-+\+-+\+-+\+-+\+\n\| ALIAS \| FINGERPRINT {2}\| {3}TYPE {4}\| DESCRIPTION \|\n/);
    assert.equal(s.run(['image', 'alias', 'list', 'elsewhere:']).code, 1, 'an unknown remote is an error, not an empty list');
  });
});
