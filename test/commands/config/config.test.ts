// `img config get|set|unset|show`: LXD's images.* server keys, kept in $IMG_HOME/config.yml.
import assert from 'node:assert/strict';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {fingerprintIn, img, isCleanError} from '../../helpers/cli.js';
import {makeImageTree} from '../../helpers/images.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();
let n = 0;
function home(): {home: string; run: (args: string[]) => ReturnType<typeof img>} {
  const h = join(work, `home-${n++}`);
  return {home: h, run: (args) => img(args, {home: h})};
}
const ok = (r: ReturnType<typeof img>): string => {
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
};

describe('img config', () => {
  test('get shows the value in effect; set, unset; show lists what is set, as yaml or json', () => {
    const {run} = home();
    assert.equal(ok(run(['config', 'show'])), 'config: {}\n');
    assert.equal(ok(run(['config', 'get', 'images.auto_update_interval'])), '6\n');
    assert.equal(ok(run(['config', 'get', 'images.auto_update_cached'])), 'true\n');
    assert.equal(ok(run(['config', 'get', 'images.remote_cache_expiry'])), '10\n');
    assert.equal(ok(run(['config', 'get', 'images.compression_algorithm'])), 'gzip\n');
    assert.equal(ok(run(['config', 'get', 'images.remote_index_ttl'])), '300\n');
    assert.equal(ok(run(['config', 'set', 'images.auto_update_interval', '12'])), '');
    ok(run(['config', 'set', 'images.compression_algorithm', 'xz']));
    ok(run(['config', 'set', 'images.auto_update_cached', 'no']));
    assert.equal(ok(run(['config', 'get', 'images.auto_update_interval'])), '12\n');
    assert.equal(ok(run(['config', 'get', 'images.auto_update_cached'])), 'false\n');
    assert.equal(
      ok(run(['config', 'show'])),
      'config:\n  images.auto_update_cached: "no"\n  images.auto_update_interval: "12"\n  images.compression_algorithm: xz\n',
    );
    assert.deepEqual(JSON.parse(ok(run(['config', 'show', '--format', 'json']))), {
      config: {'images.auto_update_cached': 'no', 'images.auto_update_interval': '12', 'images.compression_algorithm': 'xz'},
    });
    ok(run(['config', 'unset', 'images.auto_update_interval']));
    ok(run(['config', 'set', 'images.auto_update_cached', '']));
    assert.equal(ok(run(['config', 'get', 'images.auto_update_interval'])), '6\n');
    assert.deepEqual(JSON.parse(ok(run(['config', 'show', '--format', 'json']))), {config: {'images.compression_algorithm': 'xz'}});
    ok(run(['config', 'unset', 'images.auto_update_interval']));
  });

  test('unknown keys and bad values: one clean line, a stable code, the known keys as a hint', () => {
    const {run} = home();
    for (const args of [
      ['config', 'get', 'core.https_address'],
      ['config', 'set', 'core.https_address', ':8443'],
      ['config', 'unset', 'images'],
    ]) {
      const r = run(args);
      assert.equal(r.code, 1);
      assert.ok(isCleanError(r.stderr));
      assert.match(
        r.stderr,
        /^Error: Unknown config key: \S+ \(img knows images\.auto_update_cached, images\.auto_update_interval, images\.compression_algorithm, images\.remote_cache_expiry, images\.remote_index_ttl\)\n$/,
      );
    }
    const cases: Array<[string, string, string]> = [
      ['images.auto_update_interval', '-1', 'a whole number of hours, 0 or more'],
      ['images.remote_cache_expiry', '1.5', 'a whole number of days, 0 or more'],
      ['images.remote_index_ttl', 'soon', 'a whole number of seconds, 0 or more'],
      ['images.auto_update_cached', 'maybe', 'true or false'],
      ['images.compression_algorithm', 'lz4', 'one of gzip, xz, bzip2, zstd, none'],
    ];
    for (const [key, value, expected] of cases) {
      const r = run(['config', 'set', key, value]);
      assert.equal(r.stderr, `Error: Invalid value for ${key}: "${value}" (expected ${expected})\n`);
      assert.equal(r.code, 1);
    }
    assert.equal(ok(run(['config', 'show'])), 'config: {}\n', 'nothing was written');
  });

  test('publish without --compression uses images.compression_algorithm, as LXD does', () => {
    const {run} = home();
    const tree = makeImageTree(join(work, 'tree'));
    const publish = (...extra: string[]) => {
      const out = ok(run(['publish', '--rootfs', join(tree, 'rootfs'), '--metadata', join(tree, 'metadata.yaml'), ...extra]));
      const info = JSON.parse(ok(run(['image', 'info', fingerprintIn(out)!, '--format', 'json']))) as {files: Array<{role: string; compression: string}>};
      return info.files.map((f) => `${f.role}:${f.compression}`).join(' ');
    };
    assert.equal(publish(), 'unified:gzip', 'gzip when nothing is set');
    ok(run(['config', 'set', 'images.compression_algorithm', 'xz']));
    assert.equal(publish(), 'unified:xz');
    assert.equal(publish('--format', 'split', 'os=split'), 'metadata:xz rootfs:xz');
    assert.equal(publish('--compression', 'none', 'os=none'), 'unified:none', '--compression wins');
  });
});
