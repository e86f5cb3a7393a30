// src/render/alias.ts: lxc image alias list's table and LXD's alias objects.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {aliasObject, renderAliasTable} from '../../src/render/alias.js';

const aliases = [
  {name: 'b', target: 'b'.repeat(64), description: '', type: 'virtual-machine' as const},
  {name: 'a', target: 'a'.repeat(64), description: 'first', type: 'container' as const},
];

describe('alias rendering', () => {
  test('the table sorts rows as lxc does and shows 12 hex and the type in capitals', () => {
    assert.equal(renderAliasTable(aliases, 'csv'), `a,${'a'.repeat(12)},CONTAINER,first\nb,${'b'.repeat(12)},VIRTUAL-MACHINE,\n`);
    assert.match(renderAliasTable(aliases, 'table'), /^\+-+\+-+\+-+\+-+\+\n\| ALIAS \| FINGERPRINT {2}\| +TYPE +\| DESCRIPTION \|\n/);
  });

  test("objects carry LXD's field order", () => {
    assert.deepEqual(Object.keys(aliasObject(aliases[0]!)), ['description', 'target', 'name', 'type']);
  });
});
