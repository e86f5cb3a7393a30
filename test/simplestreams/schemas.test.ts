// simplestreams/*.schema.json accept every real feed in test/fixtures/feeds (files published by
// others: Incus, OpenStack, the simplestreams project's examples; origin in its ORIGIN.md), and
// refuse what LXD would refuse to decode.
import assert from 'node:assert/strict';
import {readdirSync, readFileSync, statSync} from 'node:fs';
import {basename, join} from 'node:path';
import {describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {Ajv2020} from 'ajv/dist/2020.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const feeds = join(root, 'test/fixtures/feeds');
const schema = (name: string): object => JSON.parse(readFileSync(join(root, 'simplestreams', name), 'utf8')) as object;
const ajv = new Ajv2020({strict: true, allErrors: true});
const validIndex = ajv.compile(schema('index.schema.json'));
const validProducts = ajv.compile(schema('products.schema.json'));

/** The JSON body of a .json file, or of a clearsigned .sjson once the signature is stripped. */
function body(path: string): unknown {
  let text = readFileSync(path, 'utf8');
  const m = /-----BEGIN PGP SIGNED MESSAGE-----\n(?:Hash:[^\n]*\n)*\n([\s\S]*?)\n-----BEGIN PGP SIGNATURE-----/.exec(text);
  if (m) text = m[1]!.replace(/^- /gm, '');
  return JSON.parse(text);
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : /\.s?json$/.test(n) ? [join(dir, n)] : []));
}

describe('simplestreams schemas against real feeds', () => {
  const files = walk(feeds);
  test('there are feeds to check', () => assert.ok(files.length >= 10, files.join(' ')));
  for (const f of files) {
    test(f.slice(feeds.length + 1), () => {
      const doc = body(f);
      const isIndex = basename(f).startsWith('index.');
      const validate = isIndex ? validIndex : validProducts;
      assert.ok(validate(doc), ajv.errorsText(validate.errors));
    });
  }
});

describe('simplestreams schemas refuse what LXD cannot decode', () => {
  const products = (item: Record<string, unknown>, product: Record<string, unknown> = {}) => ({
    format: 'products:1.0',
    content_id: 'images',
    datatype: 'image-downloads',
    products: {
      'a:1:amd64:default': {
        arch: 'amd64',
        ...product,
        versions: {'20260101_00:00': {items: {'lxd.tar.xz': {ftype: 'lxd.tar.xz', path: 'x', size: 1, ...item}}}},
      },
    },
  });
  test('a well-formed products document passes', () => assert.ok(validProducts(products({sha256: 'a'.repeat(64)}))));
  test('size as a string', () => assert.equal(validProducts(products({size: '1'})), false));
  test('aliases as a list', () => assert.equal(validProducts(products({}, {aliases: ['a', 'b']})), false));
  test('a sha256 that is not 64 hex digits', () => assert.equal(validProducts(products({sha256: 'xyz'})), false));
  test("an index without entries' paths", () => assert.equal(validIndex({format: 'index:1.0', index: {images: {datatype: 'image-downloads'}}}), false));
});
