import assert from 'node:assert/strict';
import type {IncomingMessage} from 'node:http';
import {describe, it} from 'node:test';
import {formatAccess} from '../../../src/lib/serve/access-log.js';
import {notModified, parseRange} from '../../../src/lib/serve/respond.js';

describe('img serve: answers', () => {
  it('reads one byte range against a size', () => {
    const cases: Array<[string | undefined, number, ReturnType<typeof parseRange>]> = [
      [undefined, 100, undefined],
      ['bytes=0-9', 100, [0, 9]],
      ['bytes=90-', 100, [90, 99]],
      ['bytes=-10', 100, [90, 99]],
      ['bytes=-1000', 100, [0, 99]],
      ['bytes=50-1000', 100, [50, 99]],
      ['bytes=100-', 100, 'unsatisfiable'],
      ['bytes=-0', 100, 'unsatisfiable'],
      ['bytes=0-', 0, 'unsatisfiable'],
      ['bytes=9-0', 100, undefined],
      ['bytes=0-9,20-29', 100, undefined],
      ['bytes=-', 100, undefined],
      ['items=0-9', 100, undefined],
      ['BYTES = 1 - 2', 100, [1, 2]],
    ];
    for (const [header, size, want] of cases) assert.deepEqual(parseRange(header, size), want, `${header} of ${size}`);
  });

  it('compares If-None-Match weakly, with lists and *', () => {
    const req = (h?: string) => ({headers: h === undefined ? {} : {'if-none-match': h}}) as IncomingMessage;
    assert.equal(notModified(req(), '"a"'), false);
    assert.equal(notModified(req('"a"'), '"a"'), true);
    assert.equal(notModified(req('W/"a"'), '"a"'), true);
    assert.equal(notModified(req('"b", "a"'), '"a"'), true);
    assert.equal(notModified(req('"b"'), '"a"'), false);
    assert.equal(notModified(req('*'), '"a"'), true);
  });

  it('writes one access-log line per request, that a client cannot split or forge', () => {
    const at = new Date(Date.UTC(2026, 11, 2, 15, 4, 5));
    const e = {remote: '127.0.0.1', method: 'GET', target: '/a b"\n\\c', httpVersion: '1.1', status: 200, bytes: 12, ms: 3.4, at, aborted: false};
    assert.equal(formatAccess(e), '127.0.0.1 - - [02/Dec/2026:15:04:05 +0000] "GET /a%20b%22%0A%5Cc HTTP/1.1" 200 12 3ms');
    assert.equal(
      formatAccess({...e, target: '/', method: 'G"T', aborted: true}),
      '127.0.0.1 - - [02/Dec/2026:15:04:05 +0000] "- / HTTP/1.1" 200 12 3ms aborted',
    );
  });
});
