// `img image verify`: re-hash stored files; --deep reads archives to their end.
import assert from 'node:assert/strict';
import {readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {img} from '../../helpers/cli.js';
import {makeImageTree, unifiedTarball} from '../../helpers/images.js';
import {sampleStore} from '../../helpers/sample-store.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();

describe('img image verify', () => {
  test('ok lines; a damaged file is a MISMATCH and exit 1; --deep reads archives to the end', () => {
    const s = sampleStore(work, 'home-verify');
    const {unified, split, home} = s;
    const ok = s.run(['image', 'verify']);
    assert.equal(ok.code, 0);
    assert.equal(
      ok.stdout,
      [split, unified]
        .sort()
        .map((fp) => `ok ${fp}\n`)
        .join(''),
    );
    assert.equal(s.run(['image', 'verify', '--deep']).code, 0);
    const stored = join(home, 'images', unified, 'unified');
    const bytes = readFileSync(stored);
    const damaged = Buffer.from(bytes);
    damaged.writeUInt8(damaged.readUInt8(damaged.length - 100) ^ 0xff, damaged.length - 100);
    writeFileSync(stored, damaged);
    try {
      const bad = s.run(['image', 'verify']);
      assert.equal(bad.code, 1);
      assert.match(bad.stdout, new RegExp(`^MISMATCH ${unified} unified: expected ${unified} got [0-9a-f]{64}$`, 'm'));
      assert.match(bad.stdout, new RegExp(`^ok ${split}$`, 'm'));
      const json = JSON.parse(s.run(['image', 'verify', 'tiny', '--format', 'json']).stdout) as Array<{ok: boolean; problems: Array<{kind: string}>}>;
      assert.deepEqual([json[0]!.ok, json[0]!.problems[0]!.kind], [false, 'mismatch']);
    } finally {
      writeFileSync(stored, bytes);
    }
    const root = join(home, 'images', split, 'rootfs');
    const rootBytes = readFileSync(root);
    writeFileSync(root, rootBytes.subarray(0, rootBytes.length - 1));
    try {
      const bad = s.run(['image', 'verify', 'split']);
      assert.equal(bad.code, 1);
      assert.match(bad.stdout, new RegExp(`^MISMATCH ${split} rootfs: `, 'm'));
    } finally {
      writeFileSync(root, rootBytes);
    }
  });

  test('--deep finds a damaged archive tail that import (like LXD) does not read', () => {
    const h = join(work, 'home-deep');
    const tree = makeImageTree(join(work, 'deep-tree'), {seed: 'deep'});
    const gz = unifiedTarball(tree, join(work, 'deep.tar.gz'), 'z');
    const bytes = readFileSync(gz);
    const cut = join(work, 'cut.tar.gz');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 64));
    const r = img(['image', 'import', cut, '--alias', 'cut'], {home: h});
    assert.equal(r.code, 0, 'LXD imports this too: it stops reading after rootfs/ begins');
    assert.equal(img(['image', 'verify', 'cut'], {home: h}).code, 0);
    const deep = img(['image', 'verify', 'cut', '--deep'], {home: h});
    assert.equal(deep.code, 1);
    assert.match(deep.stdout, /^CORRUPT [0-9a-f]{64} unified: gzip: /m);
  });
});
