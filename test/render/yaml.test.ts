// src/render/yaml.ts: YAML as lxc prints it.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {toYaml} from '../../src/render/yaml.js';

describe('toYaml', () => {
  test('times plain, strings that yaml.v2 would misread quoted, lists not indented', async () => {
    assert.equal(
      await toYaml({expires_at: '1970-01-01T00:00:00Z', properties: {release: '1.0', flag: 'yes', name: 'plain'}, profiles: ['default'], note: '2023-01-01'}),
      'expires_at: 1970-01-01T00:00:00Z\nproperties:\n  release: "1.0"\n  flag: "yes"\n  name: plain\nprofiles:\n- default\nnote: "2023-01-01"\n',
    );
  });
});
