// src/render/verify.ts: img image verify's lines.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {renderVerify} from '../../src/render/verify.js';

describe('renderVerify', () => {
  test('ok, MISMATCH, MISSING and CORRUPT lines, one per problem', () => {
    assert.equal(renderVerify({fingerprint: 'fp', ok: true, problems: []}), 'ok fp\n');
    assert.equal(
      renderVerify({
        fingerprint: 'fp',
        ok: false,
        problems: [
          {file: 'metadata', kind: 'mismatch', expected: 'a', got: 'b'},
          {file: 'rootfs', kind: 'missing'},
          {file: 'unified', kind: 'corrupt', detail: 'gzip: unexpected end of file'},
        ],
      }),
      'MISMATCH fp metadata: expected a got b\nMISSING fp rootfs\nCORRUPT fp unified: gzip: unexpected end of file\n',
    );
  });
});
