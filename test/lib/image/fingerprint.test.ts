// src/lib/image/fingerprint.ts: LXD's fingerprint rule, in one place.
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {describe, test} from 'node:test';
import {expectedFileSha256, fileRoles, FingerprintHasher} from '../../../src/lib/image/fingerprint.js';

const sha = (...parts: Buffer[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

describe('FingerprintHasher', () => {
  const meta = Buffer.from('metadata bytes');
  const root = Buffer.from('root file bytes, larger');

  test("unified: the fingerprint is the file's sha256, and so is its own digest", () => {
    const h = new FingerprintHasher();
    const f = h.file('unified', {own: true});
    f.update(meta.subarray(0, 3));
    f.update(meta.subarray(3));
    assert.equal(f.digest(), undefined, 'known only once the whole image is');
    assert.deepEqual(h.finish(), {fingerprint: sha(meta), sha256: {unified: sha(meta)}});
  });

  test('split: sha256 of metadata ‖ rootfs; own digests only where asked', () => {
    const h = new FingerprintHasher();
    const m = h.file('metadata', {own: true});
    m.update(meta);
    assert.equal(m.digest(), sha(meta), 'available as soon as the file ends');
    h.file('rootfs').update(root);
    assert.deepEqual(h.finish(), {fingerprint: sha(meta, root), sha256: {metadata: sha(meta)}});
    const both = new FingerprintHasher();
    both.file('metadata').update(meta);
    both.file('rootfs', {own: true}).update(root);
    assert.deepEqual(both.finish().sha256, {rootfs: sha(root)});
  });

  test("files out of LXD's order are a programming error", () => {
    assert.throws(() => new FingerprintHasher().file('rootfs'), /rootfs cannot follow \[\]/);
    const h = new FingerprintHasher();
    h.file('unified');
    assert.throws(() => h.file('rootfs'), /rootfs cannot follow \[unified\]/);
    const m = new FingerprintHasher();
    m.file('metadata');
    assert.throws(() => m.file('metadata'));
  });

  test('fileRoles and expectedFileSha256 state the rule for records', () => {
    assert.deepEqual(fileRoles(1), ['unified']);
    assert.deepEqual(fileRoles(2), ['metadata', 'rootfs']);
    assert.equal(expectedFileSha256({fingerprint: 'f'}, {role: 'unified'}), 'f');
    assert.equal(expectedFileSha256({fingerprint: 'f'}, {role: 'rootfs'}), undefined);
    assert.equal(expectedFileSha256({fingerprint: 'f'}, {role: 'rootfs', sha256: 'r'}), 'r');
  });
});
