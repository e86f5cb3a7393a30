// src/lib/image/edit.ts: `img image edit` with LXD's PUT semantics for api.ImagePut. The lxc 5.0.2
// behaviour quoted here is from /tmp/lxc-cli-notes.md section 4.2, and where marked, from edits
// made against a throwaway LXD 5.0.2.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {UserError} from '../../../src/lib/errors.js';
import {imagePut} from '../../../src/lib/image/api.js';
import {applyImagePut} from '../../../src/lib/image/edit.js';
import type {ImageRecord} from '../../../src/lib/image/types.js';

const FP = '723588a62a0f1809c80e4c2cb2b6ff8515eb34a9f4f91b4eceb2c83c56fcaea7';

function record(over: Partial<ImageRecord> = {}): ImageRecord {
  return {
    fingerprint: FP,
    type: 'container',
    architecture: 'x86_64',
    size: 10240,
    filename: 'a.tar',
    properties: {release: 'jammy', description: 'Ubuntu jammy amd64 (test)', os: 'Ubuntu'},
    public: true,
    cached: false,
    auto_update: true,
    profiles: ['default'],
    created_at: '2023-11-14T22:13:20Z',
    uploaded_at: '2026-11-24T08:27:04.743691501Z',
    last_used_at: '0001-01-01T00:00:00Z',
    expires_at: '2030-01-02T03:04:05Z',
    update_source: null,
    files: [{role: 'unified', size: 10240, kind: 'tar', compression: 'none', extension: '.tar', sha256: FP}],
    ...over,
  };
}

function refused(rec: ImageRecord, yaml: string): UserError {
  try {
    applyImagePut(rec, yaml);
  } catch (err) {
    assert.ok(err instanceof UserError, `expected a UserError, got ${String(err)}`);
    return err;
  }
  assert.fail(`expected ${JSON.stringify(yaml)} to be refused`);
}

describe('imagePut', () => {
  test("the editable fields in LXD's order, properties sorted", () => {
    const put = imagePut(record());
    assert.deepEqual(Object.keys(put), ['auto_update', 'properties', 'public', 'expires_at', 'profiles']);
    assert.deepEqual(Object.keys(put.properties), ['description', 'os', 'release']);
    assert.deepEqual(put, {
      auto_update: true,
      properties: {description: 'Ubuntu jammy amd64 (test)', os: 'Ubuntu', release: 'jammy'},
      public: true,
      expires_at: '2030-01-02T03:04:05Z',
      profiles: ['default'],
    });
  });
});

describe("applyImagePut: LXD's PUT semantics", () => {
  test('properties are replaced as a whole (e6: properties: {os: OnlyOS})', () => {
    const next = applyImagePut(record(), 'properties:\n  os: OnlyOS\n');
    assert.deepEqual(next.properties, {os: 'OnlyOS'});
  });

  test('public and auto_update are reset to false when absent', () => {
    const next = applyImagePut(record({public: true, auto_update: true}), 'properties: {os: x}\n');
    assert.equal(next.public, false);
    assert.equal(next.auto_update, false);
  });

  test('public and auto_update are set when given', () => {
    const next = applyImagePut(record({public: false, auto_update: false}), 'public: true\nauto_update: yes\n');
    assert.equal(next.public, true);
    assert.equal(next.auto_update, true);
  });

  test('expires_at and profiles are unchanged when absent', () => {
    const next = applyImagePut(record({expires_at: '2030-01-02T03:04:05Z', profiles: ['default']}), 'properties: {}\n');
    assert.equal(next.expires_at, '2030-01-02T03:04:05Z');
    assert.deepEqual(next.profiles, ['default']);
  });

  test('profiles: [] clears the profiles; profiles: ~ leaves them', () => {
    assert.deepEqual(applyImagePut(record(), 'profiles: []\n').profiles, []);
    assert.deepEqual(applyImagePut(record(), 'profiles: ~\n').profiles, ['default']);
    assert.deepEqual(applyImagePut(record({profiles: []}), 'profiles: [default]\n').profiles, ['default']);
  });

  test('an unknown profile is refused (e5)', () => {
    const err = refused(record(), 'profiles: [nonexistent]\n');
    assert.equal(err.message, "Profile 'nonexistent' doesn't exist");
    assert.equal(err.code, 'ProfileNotFound');
    assert.equal(refused(record(), 'profiles: [default, other]\n').message, "Profile 'other' doesn't exist");
  });

  test('expires_at: an RFC 3339 time is stored; the epoch means never', () => {
    assert.equal(applyImagePut(record({expires_at: '1970-01-01T00:00:00Z'}), 'expires_at: 2030-01-02T03:04:05Z\n').expires_at, '2030-01-02T03:04:05Z');
    assert.equal(applyImagePut(record(), 'expires_at: 1970-01-01T00:00:00Z\n').expires_at, '1970-01-01T00:00:00Z');
    assert.equal(applyImagePut(record(), 'expires_at: 2020-05-06T07:08:09Z\n').expires_at, '2020-05-06T07:08:09Z');
    assert.equal(applyImagePut(record(), 'expires_at: "2020-05-06T07:08:09Z"\n').expires_at, '2020-05-06T07:08:09Z');
  });

  test('a bad expires_at is refused (e8: garbage) and nothing changes', () => {
    for (const bad of ['garbage', '2030-01-02', '"2030-01-02 03:04:05"', '2030-13-02T03:04:05Z', '2030-01-02T03:04:05']) {
      const err = refused(record(), `expires_at: ${bad}\n`);
      assert.equal(err.code, 'InvalidTime', bad);
      assert.match(err.message, /^expires_at: ".*" is not an RFC 3339 time \(2006-01-02T15:04:05Z\)$/);
    }
    assert.equal(refused(record(), 'expires_at: garbage\n').message, 'expires_at: "garbage" is not an RFC 3339 time (2006-01-02T15:04:05Z)');
  });

  test('unknown keys are ignored (e2: bogus_key: 42)', () => {
    const next = applyImagePut(record(), 'properties: {os: x}\nbogus_key: 42\n');
    assert.deepEqual(next.properties, {os: 'x'});
  });

  test('property values keep their text', () => {
    assert.deepEqual(applyImagePut(record(), 'properties: {release: 39, v: 1.10, b: yes, n: ~}\n').properties, {release: '39', v: '1.10', b: 'yes', n: ''});
  });

  test('the record given is not modified; other fields are kept', () => {
    const before = record();
    const copy = structuredClone(before);
    const next = applyImagePut(before, 'properties: {os: x}\nprofiles: []\nexpires_at: 2031-01-01T00:00:00Z\n');
    assert.deepEqual(before, copy);
    assert.notEqual(next, before);
    for (const k of [
      'fingerprint',
      'type',
      'architecture',
      'size',
      'filename',
      'cached',
      'created_at',
      'uploaded_at',
      'last_used_at',
      'update_source',
      'files',
    ] as const) {
      assert.deepEqual(next[k], before[k], k);
    }
  });

  test('the fingerprint, architecture, type and creation date cannot change', () => {
    const cases: Array<[string, string]> = [
      [`fingerprint: ${'0'.repeat(64)}\n`, 'fingerprint cannot be changed'],
      ['architecture: aarch64\n', 'architecture cannot be changed'],
      ['type: virtual-machine\n', 'type cannot be changed'],
      ['created_at: 2020-01-01T00:00:00Z\n', 'created_at cannot be changed'],
    ];
    for (const [yaml, message] of cases) {
      const err = refused(record(), yaml);
      assert.equal(err.message, message);
      assert.equal(err.code, 'Immutable');
    }
  });

  test('repeating the current fingerprint, architecture, type or creation date is fine', () => {
    const next = applyImagePut(
      record(),
      `fingerprint: ${FP}\narchitecture: x86_64\ntype: container\ncreated_at: 2023-11-14T23:13:20+01:00\nproperties: {os: y}\n`,
    );
    assert.deepEqual(next.properties, {os: 'y'});
  });

  test('invalid YAML is refused with code InvalidYaml (e4)', () => {
    const err = refused(record(), 'properties: [unclosed\n  foo: : bar\n');
    assert.equal(err.code, 'InvalidYaml');
    assert.match(err.message, /^yaml: line \d+: /);
  });

  test("a type mismatch is refused in yaml.v2's words (e7: public: notabool)", () => {
    const err = refused(record(), 'public: notabool\n');
    assert.equal(err.code, 'InvalidYaml');
    assert.equal(err.message, 'yaml: line 1: cannot unmarshal !!str `notabool` into bool');
    assert.equal(refused(record(), 'properties: [a]\n').message, 'yaml: line 1: cannot unmarshal !!seq into map[string]string');
    assert.equal(refused(record(), 'profiles: default\n').message, 'yaml: line 1: cannot unmarshal !!str `default` into []string');
  });

  test('a full document as `img image show` prints it round-trips', () => {
    const rec = record();
    const yaml =
      'auto_update: true\nproperties:\n  description: Ubuntu jammy amd64 (test)\n  os: Ubuntu\n  release: jammy\npublic: true\nexpires_at: 2030-01-02T03:04:05Z\nprofiles:\n- default\n';
    assert.deepEqual(applyImagePut(rec, yaml), rec);
  });

  // lxc reads the edited text with yaml.Unmarshal, which takes no document as an empty ImagePut.
  // Captured: `lxc image edit 7025 < /dev/null` exits 0 and leaves properties {} and public false;
  // checked with LXD 5.0.2 likewise for a comment-only text.
  test('an empty or comment-only text is an empty PUT, as lxc does', () => {
    for (const yaml of ['', '# only a comment\n']) {
      const next = applyImagePut(record(), yaml);
      assert.deepEqual(next.properties, {});
      assert.equal(next.public, false);
      assert.equal(next.auto_update, false);
      assert.equal(next.expires_at, '2030-01-02T03:04:05Z');
      assert.deepEqual(next.profiles, ['default']);
    }
  });

  // LXD parses expires_at with Go's time.RFC3339 layout, which wants an upper-case T and Z:
  // checked with LXD 5.0.2, `expires_at: 2030-01-02t03:04:05z` is refused
  // ("parsing time … cannot parse "t03:04:05z" as "T"").
  test('a lower-case t or z is refused, as LXD does', () => {
    assert.equal(refused(record(), 'expires_at: 2030-01-02t03:04:05z\n').code, 'InvalidTime');
  });

  // Checked with LXD 5.0.2: after an edit, `lxc image show` prints expires_at as given:
  // 2030-01-02T03:04:05.5Z, 2030-01-02T03:04:05.123456789+01:00 and 1969-12-31T23:59:59Z.
  test('expires_at is kept as given (fraction, offset, before the epoch), as LXD does', () => {
    assert.equal(applyImagePut(record(), 'expires_at: 2030-01-02T03:04:05.5Z\n').expires_at, '2030-01-02T03:04:05.5Z');
    assert.equal(applyImagePut(record(), 'expires_at: 2030-01-02T03:04:05.123456789+01:00\n').expires_at, '2030-01-02T03:04:05.123456789+01:00');
    assert.equal(applyImagePut(record(), 'expires_at: 1969-12-31T23:59:59Z\n').expires_at, '1969-12-31T23:59:59Z');
  });

  test('expires_at with an offset or a fraction denotes the same instant', () => {
    const at = (y: string) => Date.parse(applyImagePut(record(), y).expires_at);
    assert.equal(at('expires_at: 2030-01-02T04:04:05+01:00\n'), Date.parse('2030-01-02T03:04:05Z'));
    assert.equal(at('expires_at: 2030-01-02T03:04:05.5Z\n'), Date.parse('2030-01-02T03:04:05.500Z'));
  });
});
