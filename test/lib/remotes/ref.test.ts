// src/lib/remotes/ref.ts: `[<remote>:]<image>` as lxc splits it.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {isRemoteOnly, parseRef, remoteAndFilters} from '../../../src/lib/remotes/ref.js';

describe('parseRef', () => {
  test('the first ":" separates the remote; without one the image is local', () => {
    assert.deepEqual(parseRef('ubuntu'), {remote: 'local', name: 'ubuntu'});
    assert.deepEqual(parseRef('images:ubuntu/22.04'), {remote: 'images', name: 'ubuntu/22.04'});
    assert.deepEqual(parseRef('local:'), {remote: 'local', name: ''});
    assert.deepEqual(parseRef('a:b:c'), {remote: 'a', name: 'b:c'});
  });

  test('remoteAndFilters: the first argument may name the remote, alone or glued to a filter', () => {
    assert.deepEqual(remoteAndFilters([]), {remote: 'local', filters: []});
    assert.deepEqual(remoteAndFilters(['ubuntu', 'os=x']), {remote: 'local', filters: ['ubuntu', 'os=x']});
    assert.deepEqual(remoteAndFilters(['images:']), {remote: 'images', filters: []});
    assert.deepEqual(remoteAndFilters(['local:', 'spli']), {remote: 'local', filters: ['spli']});
    assert.deepEqual(remoteAndFilters(['local:spli', 'x']), {remote: 'local', filters: ['spli', 'x']});
    assert.deepEqual(remoteAndFilters(['user.url=http://x']), {remote: 'local', filters: ['user.url=http://x']}, 'a key=value filter is never a remote');
    assert.deepEqual(remoteAndFilters(['x', 'images:']), {remote: 'local', filters: ['x', 'images:']}, 'only the first argument');
  });

  test('isRemoteOnly: a bare remote name, never a path or a property', () => {
    for (const yes of ['local:', 'images:', 'my-remote:']) assert.equal(isRemoteOnly(yes), true, yes);
    for (const no of ['local:x', './dir:', '/abs:', 'a=b:', 'file.tar', 'https://x/']) assert.equal(isRemoteOnly(no), false, no);
  });
});
