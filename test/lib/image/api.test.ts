// src/lib/image/api.ts: LXD's api.Image and api.ImagePut shapes.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {imagePut, toLxdImage} from '../../../src/lib/image/api.js';
import {LXD_IMAGE_FIELDS, view} from '../../helpers/views.js';

describe('LXD API shapes', () => {
  const image = view({
    fingerprint: 'f'.repeat(64),
    properties: {release: '1.0', os: 'tiny'},
    files: [{role: 'unified', size: 3, kind: 'tar', compression: 'gzip', extension: '.tar.gz', sha256: 'f'.repeat(64), sha1: 'a'.repeat(40)}],
  });

  test("toLxdImage: LXD 5.0.2's field order, update_source only when set, files with the digests known", () => {
    const obj = toLxdImage(image);
    assert.deepEqual(Object.keys(obj), LXD_IMAGE_FIELDS);
    assert.deepEqual(obj.files, [{role: 'unified', size: 3, compression: 'gzip', format: 'tar', sha256: 'f'.repeat(64), sha1: 'a'.repeat(40)}]);
    const source = {alias: 'x', certificate: '', protocol: 'simplestreams', server: 'https://s', image_type: 'container'};
    assert.deepEqual(Object.keys(toLxdImage({...image, update_source: source})).slice(11, 13), ['update_source', 'type']);
  });

  test("imagePut: the editable fields in LXD's order, properties sorted", () => {
    const put = imagePut(image);
    assert.deepEqual(Object.keys(put), ['auto_update', 'properties', 'public', 'expires_at', 'profiles']);
    assert.deepEqual(Object.keys(put.properties), ['os', 'release']);
  });
});
