import assert from 'node:assert/strict';
import {describe, it} from 'node:test';
import {parseTarget} from '../../../src/lib/serve/request-path.js';

describe('img serve: request paths', () => {
  it('decodes a plain path and its query; an encoded slash is a slash (LXD clients send aliases so)', () => {
    const alias = parseTarget('/1.0/images/aliases/ubuntu%2F22.04?recursion=1');
    assert.ok(!('refused' in alias));
    assert.equal(alias.path, '/1.0/images/aliases/ubuntu/22.04');
    const ok = parseTarget('/img/ubuntu/22.04?recursion=1&x=%20y');
    assert.ok(!('refused' in ok));
    assert.equal(ok.path, '/img/ubuntu/22.04');
    assert.equal(ok.query.get('recursion'), '1');
    assert.equal(ok.query.get('x'), ' y');
    const spaced = parseTarget('/files/a%20b');
    assert.ok(!('refused' in spaced) && spaced.path === '/files/a b');
  });

  it('refuses what could climb or hide a separator', () => {
    for (const target of [
      '/files/../x',
      '/files/..',
      '/files/./x',
      '/files/%2e%2e/x',
      '/files/%2E%2e',
      '/files/.%2e/x',
      '/files/a%2F..%2Fb',
      '/files/a%2F.',
      '/files/a%5cb',
      '/files/a\\b',
      '/files/a%00',
      '/files/a%0ab',
      '/files/%zz',
      '/files/%c0%ae%c0%ae/x',
      'files/x',
      'http://host/files/x',
      '*',
    ]) {
      assert.ok('refused' in parseTarget(target), target);
    }
  });

  it('lets dots inside names through', () => {
    for (const target of ['/streams/v1/index.json', '/files/ab/lxd.tar.xz', '/img/a..b', '/img/...']) assert.ok(!('refused' in parseTarget(target)), target);
  });
});
