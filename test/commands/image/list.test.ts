// `img image list`: lxc's table, formats, filters and columns.
import assert from 'node:assert/strict';
import {before, describe, test} from 'node:test';
import {compareRows} from '../../../src/render/table.js';
import {sampleStore, type SampleStore} from '../../helpers/sample-store.js';
import {tempDir} from '../../helpers/tmp.js';
import {LXD_IMAGE_FIELDS} from '../../helpers/views.js';

const work = tempDir();
let s: SampleStore;
before(() => {
  s = sampleStore(work);
});

describe('img image list', () => {
  test("lxc's table, sorted rows, csv without header, compact", () => {
    const table = s.run(['image', 'list']).stdout.split('\n');
    assert.match(table[1]!, /^\| +ALIAS +\| FINGERPRINT {2}\| PUBLIC \| +DESCRIPTION +\| ARCHITECTURE \| {3}TYPE {4}\| {2}SIZE {2}\| +UPLOAD DATE +\|$/);
    assert.match(table[3]!, /^\| split {7}\| [0-9a-f]{12} \| yes {4}\| split image {11}\| x86_64 {7}\| CONTAINER \| 0\.\d\dMB \| /);
    assert.equal(table.filter((l) => l.startsWith('+')).length, 4, 'a border line after the header and after every row');
    const csv = s.run(['image', 'list', '--format', 'csv']).stdout.trim().split('\n');
    assert.equal(csv.length, 2);
    assert.match(csv[0]!, /^split,[0-9a-f]{12},yes,split image,x86_64,CONTAINER,0\.\d\dMB,"\w{3} \d{1,2}, \d{4} at \d{1,2}:\d\d[ap]m \(UTC\)"$/);
    assert.match(csv[1]!, /^t2 \(1 more\),[0-9a-f]{12},no,tinyos 1\.0 test image,x86_64,CONTAINER,/);
    const compact = s.run(['image', 'list', '--format', 'compact']).stdout.split('\n');
    assert.ok(compact[0]!.startsWith('     ALIAS     '), compact[0]);
    // lxc's natural order: digit runs compare as numbers ("3f…" before "2325…").
    const natural = [[s.split], [s.unified]]
      .sort(compareRows)
      .map(([fp]) => `${fp}\n`)
      .join('');
    assert.equal(s.run(['image', 'list', '-c', 'F', '--format', 'csv']).stdout, natural);
  });

  test('filters: substring, property regexp, dotted-prefix key, fields; --format json is the LXD image object', () => {
    const {split, unified} = s;
    const fps = (args: string[]) =>
      (JSON.parse(s.run(['image', 'list', ...args, '--format', 'json']).stdout) as Array<{fingerprint: string}>).map((i) => i.fingerprint);
    assert.deepEqual(fps(['spli']), [split]);
    assert.deepEqual(fps([unified.slice(3, 12)]), [unified]);
    assert.deepEqual(fps(['os=override']), [unified]);
    assert.deepEqual(fps(['os=over']), [], 'values are anchored');
    assert.deepEqual(fps(['os=over.*']), [unified]);
    assert.deepEqual(fps(['rel=1.0']).sort(), [split, unified].sort(), 'rel matches release');
    assert.deepEqual(fps(['public=true']), [split]);
    assert.deepEqual(fps(['type=virtual-machine']), []);
    assert.deepEqual(fps(['architecture=x86_64', 'public=false']), [unified]);
    assert.deepEqual(fps(['local:spli']), [split]);
    assert.deepEqual(fps(['local:', 'spli']), [split]);
    const [obj] = JSON.parse(s.run(['image', 'list', 'split', '--format', 'json']).stdout) as Array<Record<string, unknown>>;
    assert.deepEqual(Object.keys(obj!), LXD_IMAGE_FIELDS);
    assert.equal(obj!.filename, 'root.squashfs');
    assert.equal(obj!.expires_at, '1970-01-01T00:00:00Z');
    assert.equal(obj!.last_used_at, '0001-01-01T00:00:00Z');
    assert.equal(obj!.created_at, '2023-11-14T22:13:20Z');
    assert.deepEqual(obj!.aliases, [{name: 'split', description: ''}]);
    assert.equal(s.run(['image', 'list', '--format', 'json', 'nothing-matches']).stdout, '[]\n');
    const elsewhere = s.run(['image', 'list', 'elsewhere:']);
    assert.equal(elsewhere.code, 1);
    assert.equal(elsewhere.stderr, 'Error: The remote "elsewhere" doesn\'t exist\n');
  });

  test('--format yaml lists the same objects', () => {
    const yaml = s.run(['image', 'list', 'split', '--format', 'yaml']).stdout;
    assert.match(yaml, /^- auto_update: false\n {2}properties:\n/);
    assert.match(yaml, /\n {2}created_at: 2023-11-14T22:13:20Z\n/, 'times are plain, as yaml.v2 writes time.Time');
  });

  test("-c errors are lxc's", () => {
    const r = s.run(['image', 'list', '-c', 'lfx']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^Error: Unknown column shorthand char 'x' in 'lfx'$/m);
    assert.match(s.run(['image', 'list', '-c', 'l,,f']).stderr, /Empty column entry/);
  });
});
