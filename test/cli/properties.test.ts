// src/cli/properties.ts: the one key=value grammar of import and publish.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {isPropertyArg, splitProperties} from '../../src/cli/properties.js';

describe('splitProperties', () => {
  test('key=value is a property (trimmed, a later key wins); anything else stays in order', () => {
    assert.deepEqual(splitProperties(['a.tar', 'os=Ubuntu', 'root.sq', ' release = 22.04 ', 'os=Debian', 'local:']), {
      properties: {os: 'Debian', release: '22.04'},
      rest: ['a.tar', 'root.sq', 'local:'],
    });
    assert.deepEqual(splitProperties(['description=a=b', 'empty=']).properties, {description: 'a=b', empty: ''});
  });

  test('a "/" before the first "=" makes it a file, so ./name=x.tar and /abs/a=b are files', () => {
    for (const file of ['./os=odd.tar', '/tmp/a=b.tar', 'dir/x=y', '=nokey']) assert.equal(isPropertyArg(file), false, file);
    for (const prop of ['os=odd.tar', 'user.x=/path/with/slashes', 'k=']) assert.equal(isPropertyArg(prop), true, prop);
    assert.deepEqual(splitProperties(['./os=odd.tar']).rest, ['./os=odd.tar']);
  });

  test('a key that is only spaces is refused', () => {
    assert.throws(() => splitProperties([' =x']), /a property needs a key/);
  });
});
