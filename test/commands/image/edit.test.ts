// `img image show`, `edit` and the property commands: LXD's ImagePut and PUT semantics.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {isCleanError} from '../../helpers/cli.js';
import {sampleStore} from '../../helpers/sample-store.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();
const info = (s: ReturnType<typeof sampleStore>, ref: string) =>
  JSON.parse(s.run(['image', 'info', ref, '--format', 'json']).stdout) as Record<string, unknown>;

describe('img image show', () => {
  test('prints the editable fields as lxc does', () => {
    const s = sampleStore(work, 'home-show');
    assert.equal(
      s.run(['image', 'show', 'tiny']).stdout,
      'auto_update: false\nproperties:\n  description: tinyos 1.0 test image\n  extra: "yes"\n  os: override\n  release: "1.0"\npublic: false\nexpires_at: 1970-01-01T00:00:00Z\nprofiles:\n- default\n',
    );
    assert.deepEqual(JSON.parse(s.run(['image', 'show', 'tiny', '--format', 'json']).stdout), {
      auto_update: false,
      properties: {description: 'tinyos 1.0 test image', extra: 'yes', os: 'override', release: '1.0'},
      public: false,
      expires_at: '1970-01-01T00:00:00Z',
      profiles: ['default'],
    });
  });
});

describe('img image edit', () => {
  test('from stdin: PUT semantics, immutable fields refused, bad YAML refused and nothing changed', () => {
    const s = sampleStore(work, 'home-edit');
    const put = 'auto_update: true\nproperties:\n  os: Edited\n  release: "2.0"\npublic: true\nexpires_at: 2030-01-02T03:04:05Z\n';
    const r = s.run(['image', 'edit', 'tiny'], put);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    const after = info(s, 'tiny');
    assert.deepEqual(after.properties, {os: 'Edited', release: '2.0'});
    assert.equal(after.public, true);
    assert.equal(after.auto_update, true);
    assert.equal(after.expires_at, '2030-01-02T03:04:05Z');
    assert.deepEqual(after.profiles, ['default'], 'absent profiles are kept');
    assert.match(s.run(['image', 'info', 'tiny']).stdout, /Expires: 2030\/01\/02 03:04 UTC/);
    // Omitting public/auto_update resets them, omitting expires_at keeps it.
    assert.equal(s.run(['image', 'edit', 'tiny'], 'properties: {os: Again}\n').code, 0);
    const again = info(s, 'tiny');
    assert.equal(again.public, false);
    assert.equal(again.expires_at, '2030-01-02T03:04:05Z');
    for (const [bad, message] of [
      ['public: notabool\n', /cannot unmarshal !!str `notabool` into bool/],
      ['properties: [\n', /^Error: yaml: line \d+/m],
      ['fingerprint: 0000\n', /fingerprint cannot be changed/],
      ['profiles: [nonexistent]\n', /Profile 'nonexistent' doesn't exist/],
      ['expires_at: garbage\n', /RFC 3339/],
    ] as const) {
      const before = s.run(['image', 'show', 'tiny']).stdout;
      const e = s.run(['image', 'edit', 'tiny'], bad);
      assert.equal(e.code, 1, bad);
      assert.match(e.stderr, message);
      assert.ok(isCleanError(e.stderr));
      assert.equal(s.run(['image', 'show', 'tiny']).stdout, before, 'nothing changed');
    }
    assert.equal(s.run(['image', 'edit', 'nope'], 'public: true\n').code, 3);
  });

  test('an edit over 1 MiB on stdin is refused before it is parsed', () => {
    const s = sampleStore(work, 'home-edit-big');
    const r = s.run(['image', 'edit', 'tiny'], 'properties:\n  x: "' + 'y'.repeat(1 << 20) + '"\n');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'Error: the edited YAML is larger than 1 MiB\n');
  });
});

describe('img image get-property, set-property, unset-property', () => {
  test('set (an empty value removes), get, unset', () => {
    const s = sampleStore(work, 'home-props');
    assert.equal(s.run(['image', 'set-property', 'tiny', 'colour', 'blue']).code, 0);
    assert.equal(s.run(['image', 'get-property', 'tiny', 'colour']).stdout, 'blue\n');
    const missing = s.run(['image', 'get-property', 'tiny', 'nope']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr, 'Error: Property not found\n');
    assert.equal(s.run(['image', 'set-property', 'tiny', 'colour', '']).code, 0);
    assert.equal(s.run(['image', 'get-property', 'tiny', 'colour']).code, 1);
    assert.equal(s.run(['image', 'set-property', 'tiny', 'shape', 'round']).code, 0);
    assert.equal(s.run(['image', 'unset-property', 'tiny', 'shape']).code, 0);
    assert.equal(s.run(['image', 'unset-property', 'tiny', 'shape']).code, 0, 'unsetting a missing key succeeds');
    assert.equal(s.run(['image', 'get-property', 'tiny', 'shape']).code, 1);
  });
});
