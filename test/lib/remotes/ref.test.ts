// src/lib/remotes/ref.ts: `[<remote>:]<image>` as lxc splits it.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {isRemoteOnly, parseRef} from '../../../src/lib/remotes/ref.js';

describe('parseRef', () => {
  test('the first ":" separates the remote; without one the image is local', () => {
    assert.deepEqual(parseRef('ubuntu'), {remote: 'local', name: 'ubuntu'});
    assert.deepEqual(parseRef('images:ubuntu/22.04'), {remote: 'images', name: 'ubuntu/22.04'});
    assert.deepEqual(parseRef('local:'), {remote: 'local', name: ''});
    assert.deepEqual(parseRef('a:b:c'), {remote: 'a', name: 'b:c'});
    assert.deepEqual(parseRef('x', 'images'), {remote: 'images', name: 'x'});
  });

  test('isRemoteOnly: a bare remote name, never a path or a property', () => {
    for (const yes of ['local:', 'images:', 'my-remote:']) assert.equal(isRemoteOnly(yes), true, yes);
    for (const no of ['local:x', './dir:', '/abs:', 'a=b:', 'file.tar', 'https://x/']) assert.equal(isRemoteOnly(no), false, no);
  });
});
