// src/lib/archive/tar-header.ts on what no test tree holds: a file of 10 GiB (GNU base-256 size)
// and ids past the ustar fields, read back by python's tarfile, a reader independent of img.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {describe, test} from 'node:test';
import {encodeHeader} from '../../../src/lib/archive/tar-header.js';

/** What python's tarfile makes of header bytes alone (no data follows: only the headers are read). */
function pythonReads(header: Buffer): {name: string; size: number; uid: number; gid: number} {
  const py = [
    'import sys,tarfile,json,io',
    'b=sys.stdin.buffer.read()',
    't=tarfile.open(fileobj=io.BytesIO(b+bytes(1024)),mode="r:",ignore_zeros=False)',
    'm=t.next()',
    'print(json.dumps({"name":m.name,"size":m.size,"uid":m.uid,"gid":m.gid}))',
  ].join('\n');
  return JSON.parse(execFileSync('python3', ['-c', py], {input: header, encoding: 'utf8'})) as {name: string; size: number; uid: number; gid: number};
}

describe('encodeHeader beyond the ustar fields', () => {
  test('a 10 GiB file: the size in base-256, as GNU tar writes it', () => {
    const size = 10 * 1024 ** 3;
    const h = encodeHeader({name: 'rootfs/big.img', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 1700000000, size});
    assert.equal(h.length, 512);
    assert.equal(h[124], 0x80);
    assert.deepEqual(pythonReads(h), {name: 'rootfs/big.img', size, uid: 0, gid: 0});
  });

  test('just under 8 GiB stays octal', () => {
    const size = 8 * 1024 ** 3 - 1;
    const h = encodeHeader({name: 'f', type: 'file', mode: 0o644, uid: 0, gid: 0, mtime: 0, size});
    assert.equal(h.subarray(124, 136).toString('latin1'), '77777777777 ');
    assert.equal(pythonReads(h).size, size);
  });

  test('ids: 7 octal digits in the field, then pax records', () => {
    const seven = encodeHeader({name: 'a', type: 'file', mode: 0o600, uid: 1000000, gid: 2097151, mtime: 0, size: 0});
    assert.equal(seven.length, 512, 'no pax header needed');
    assert.deepEqual(pythonReads(seven), {name: 'a', size: 0, uid: 1000000, gid: 2097151});
    const pax = encodeHeader({name: 'b', type: 'file', mode: 0o600, uid: 4294967294, gid: 2097152, mtime: 0, size: 0});
    assert.ok(pax.length > 512);
    assert.deepEqual(pythonReads(pax), {name: 'b', size: 0, uid: 4294967294, gid: 2097152});
  });
});
