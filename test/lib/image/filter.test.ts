// src/lib/image/filter.ts: `img image list` filters with lxc 5.0.2's client-side semantics
// (lxc/image.go imageShouldShow, lxc/list.go dotPrefixMatch), and the examples captured from
// lxc 5.0.2 in /tmp/lxc-cli-notes.md section 2.5.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {imageMatches} from '../../../src/lib/image/filter.js';
import {alias, view} from '../../helpers/views.js';

const UBUNTU = view({
  fingerprint: '723588a62a0f1809c80e4c2cb2b6ff8515eb34a9f4f91b4eceb2c83c56fcaea7',
  size: 10240,
  filename: 'a.tar',
  properties: {description: 'Ubuntu jammy amd64 (test)', os: 'Ubuntu', release: 'jammy'},
  aliases: alias('ubuntu', 'jammy', 'u22'),
});
const ALPINE = view({
  fingerprint: '2be45f4023ad6574bd85d513ac5d7796b97c8090a21412f0127d7724d6ca3625',
  size: 420,
  filename: 'b.tar.xz',
  public: true,
  properties: {description: 'Alpine Linux 3.18', os: 'Alpine', release: '3.18'},
  aliases: alias('alpine'),
});
const DEBIAN = view({
  fingerprint: '63e49dba5cee9c96df89f682fd50a1db589c984685998461cdd0add8b26f602b',
  size: 4372,
  properties: {description: 'Debian bookworm split image', os: 'Debian', release: 'bookworm'},
  aliases: alias('debian'),
});
const FEDORA = view({
  fingerprint: '7025c236b95d87a1abb56506a7e56e74076015edfdc7a1d9ad558beeafcca19a',
  size: 270,
  type: 'virtual-machine',
  cached: true,
  architecture: 'aarch64',
  properties: {os: 'Fedora', release: '39', 'user.foo': 'bar', 'release.x': 'one', spec: 'Spectest'},
});
const ALL = [UBUNTU, ALPINE, DEBIAN, FEDORA];

/** Which of the four images a filter list keeps, by name. */
function kept(...filters: string[]): string[] {
  const names = new Map([
    [UBUNTU, 'ubuntu'],
    [ALPINE, 'alpine'],
    [DEBIAN, 'debian'],
    [FEDORA, 'fedora'],
  ]);
  return ALL.filter((i) => imageMatches(i, filters)).map((i) => names.get(i)!);
}

describe('imageMatches: bare words', () => {
  test('no filter keeps everything', () => {
    assert.deepEqual(kept(), ['ubuntu', 'alpine', 'debian', 'fedora']);
  });

  test('a substring of an alias', () => {
    assert.deepEqual(kept('ubuntu'), ['ubuntu']);
    assert.deepEqual(kept('u2'), ['ubuntu']);
    assert.deepEqual(kept('ian'), ['debian']);
    assert.deepEqual(kept('pin'), ['alpine']);
  });

  test('a substring anywhere in the full fingerprint (not only a prefix)', () => {
    assert.deepEqual(kept('f1'), ['ubuntu']);
    assert.deepEqual(kept('fcaea7'), ['ubuntu']);
    assert.deepEqual(kept('d7724d'), ['alpine']);
    assert.deepEqual(kept('7025c236'), ['fedora']);
  });

  test('case-sensitive, and never matched against properties', () => {
    assert.deepEqual(kept('Alpine'), []);
    assert.deepEqual(kept('ALP'), []);
    assert.deepEqual(kept('jammy'), ['ubuntu'], 'jammy is an alias of ubuntu');
    assert.deepEqual(kept('bookworm'), []);
    assert.deepEqual(kept('nomatch'), []);
  });
});

describe('imageMatches: key=value on properties', () => {
  test('exact values (captured: os=Ubuntu, release=3.18)', () => {
    assert.deepEqual(kept('os=Ubuntu'), ['ubuntu']);
    assert.deepEqual(kept('release=3.18'), ['alpine']);
    assert.deepEqual(kept('os=ubuntu'), [], 'case-sensitive');
  });

  test('keys match by dotted prefix: o=Ubuntu, rel=jammy', () => {
    assert.deepEqual(kept('o=Ubuntu'), ['ubuntu']);
    assert.deepEqual(kept('rel=jammy'), ['ubuntu']);
    assert.deepEqual(kept('user.f=bar'), ['fedora']);
    assert.deepEqual(kept('u.f=bar'), ['fedora']);
  });

  test('rel=one matches release=one but not release.x=one; os=spec does not match spectest; description=Spec.* does', () => {
    const one = view({fingerprint: '23'.repeat(32), properties: {release: 'one', os: 'spectest', description: 'Spectest image'}});
    const dotted = view({fingerprint: '45'.repeat(32), properties: {'release.x': 'one'}});
    assert.equal(imageMatches(one, ['rel=one']), true);
    assert.equal(imageMatches(dotted, ['rel=one']), false);
    assert.equal(imageMatches(one, ['os=spec']), false);
    assert.equal(imageMatches(one, ['os=spec.*']), true);
    assert.equal(imageMatches(one, ['description=Spec.*']), true);
    assert.equal(imageMatches(one, ['description=Spec']), false);
  });

  test('the number of dotted segments must be equal', () => {
    // rel=one would match "release.x" only with as many segments.
    assert.deepEqual(kept('rel=one'), []);
    assert.deepEqual(kept('rel.x=one'), ['fedora']);
    assert.deepEqual(kept('r.=one'), ['fedora']);
    assert.deepEqual(kept('user=bar'), []);
    assert.deepEqual(kept('properties.os=Ubuntu'), []);
  });

  test('values are regular expressions anchored at both ends', () => {
    assert.deepEqual(kept('os=Ubu.*'), ['ubuntu']);
    assert.deepEqual(kept('description=Ubuntu'), [], 'must cover the whole value');
    assert.deepEqual(kept('spec=Spec'), []);
    assert.deepEqual(kept('spec=spec'), []);
    assert.deepEqual(kept('spec=Spec.*'), ['fedora']);
    assert.deepEqual(kept('os=(Ubuntu|Debian)'), ['ubuntu', 'debian']);
    assert.deepEqual(kept('release=[0-9]+'), ['fedora']);
    assert.deepEqual(kept('release=3.18'), ['alpine']);
    const x = view({fingerprint: '01'.repeat(32), properties: {release: '3x18'}});
    assert.equal(imageMatches(x, ['release=3.18']), true, 'a dot in the filter matches any character');
    assert.equal(imageMatches(x, ['release=3\\.18']), false);
  });

  test('a value with ^ or $ is not anchored again', () => {
    assert.deepEqual(kept('os=^Deb'), ['debian']);
    assert.deepEqual(kept('os=ian$'), ['debian']);
    assert.deepEqual(kept('description=^Ubuntu'), ['ubuntu']);
    assert.deepEqual(kept('description=split image$'), ['debian']);
    assert.deepEqual(kept('description=a^b'), [], 'contains ^, so searched unanchored; never matches');
  });

  test('a value that is not a regular expression is compared as text', () => {
    assert.deepEqual(kept('os=['), []);
    const odd = view({fingerprint: 'ab'.repeat(32), properties: {os: '[', v: 'a(b'}});
    assert.equal(imageMatches(odd, ['os=[']), true);
    assert.equal(imageMatches(odd, ['v=a(b']), true);
    assert.equal(imageMatches(odd, ['v=a(']), false);
  });

  test('a comma is part of the value (captured: os=Ubuntu,Debian matches nothing)', () => {
    assert.deepEqual(kept('os=Ubuntu,Debian'), []);
  });

  test('an unknown key matches nothing', () => {
    assert.deepEqual(kept('foo=bar'), []);
  });

  test('only the first = splits key from value', () => {
    const eq = view({fingerprint: 'cd'.repeat(32), properties: {expr: 'a=b'}});
    assert.equal(imageMatches(eq, ['expr=a=b']), true);
    assert.equal(imageMatches(eq, ['expr=a']), false);
  });

  test('an empty value matches an empty property', () => {
    const empty = view({fingerprint: 'ef'.repeat(32), properties: {os: ''}});
    assert.equal(imageMatches(empty, ['os=']), true);
    assert.deepEqual(kept('os='), []);
  });

  // Go's regexp (RE2) takes inline flags that JavaScript's RegExp does not. Checked with lxc 5.0.2:
  // `lxc image list 'os=(?i)ubuntu'` lists the image whose os is Ubuntu.
  test('RE2 syntax lxc accepts: an inline (?i) flag', () => {
    assert.deepEqual(kept('os=(?i)ubuntu'), ['ubuntu']);
    assert.deepEqual(kept('os=(?i)DEBIAN'), ['debian']);
  });
});

describe('imageMatches: key=value on top-level fields', () => {
  test('architecture and type (captured: architecture=x86_64, type=container)', () => {
    assert.deepEqual(kept('architecture=x86_64'), ['ubuntu', 'alpine', 'debian']);
    assert.deepEqual(kept('architecture=aarch64'), ['fedora']);
    assert.deepEqual(kept('type=container'), ['ubuntu', 'alpine', 'debian']);
    assert.deepEqual(kept('type=virtual-machine'), ['fedora']);
  });

  test('fields compare as exact text, not as regular expressions', () => {
    assert.deepEqual(kept('architecture=x86.*'), []);
    assert.deepEqual(kept('arch=x86_64'), [], 'no prefix matching for fields');
  });

  test('public, cached, auto_update and size as text', () => {
    assert.deepEqual(kept('public=true'), ['alpine']);
    assert.deepEqual(kept('public=false'), ['ubuntu', 'debian', 'fedora']);
    assert.deepEqual(kept('cached=true'), ['fedora']);
    assert.deepEqual(kept('auto_update=false'), ['ubuntu', 'alpine', 'debian', 'fedora']);
    assert.deepEqual(kept('size=10240'), ['ubuntu']);
    assert.deepEqual(kept('public=yes'), []);
  });

  test('fingerprint and filename match exactly', () => {
    assert.deepEqual(kept(`fingerprint=${UBUNTU.fingerprint}`), ['ubuntu']);
    assert.deepEqual(kept('fingerprint=723588a62a0f'), []);
    assert.deepEqual(kept('filename=b.tar.xz'), ['alpine']);
  });
});

describe('imageMatches: several filters are ANDed', () => {
  test('captured: os=Ubuntu release=jammy keeps ubuntu; os=Ubuntu alpine and alpine debian keep nothing', () => {
    assert.deepEqual(kept('os=Ubuntu', 'release=jammy'), ['ubuntu']);
    assert.deepEqual(kept('os=Ubuntu', 'alpine'), []);
    assert.deepEqual(kept('alpine', 'debian'), []);
  });

  test('mixed fields, properties and words', () => {
    assert.deepEqual(kept('architecture=x86_64', 'public=false', 'o=Deb.*'), ['debian']);
    assert.deepEqual(kept('type=container', '7'), ['ubuntu', 'alpine']);
    assert.deepEqual(kept('u22', 'jammy', 'ubuntu'), ['ubuntu']);
  });
});
