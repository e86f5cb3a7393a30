// Regenerates test/fixtures/simplestreams/flavors/: the products documents and index img writes for
// the fixed input of test/lib/simplestreams/flavors/fixed-input.ts, in every flavour.
// Run: node --import tsx scripts/regen-flavor-fixtures.ts [--write]   (without --write: print the names and sizes it would write)
import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {documentText} from '../src/lib/simplestreams/render.js';
import {fixedFeed, fixtureName} from '../test/lib/simplestreams/flavors/fixed-input.js';

const dir = join(import.meta.dirname, '../test/fixtures/simplestreams/flavors');
const feed = fixedFeed();
const files: Array<[string, string]> = [
  ...feed.documents.map((d) => [fixtureName(d.path), documentText(d.doc)] as [string, string]),
  ['index.json', documentText(feed.index)],
];
const write = process.argv.includes('--write');
if (write) mkdirSync(dir, {recursive: true});
for (const [name, text] of files) {
  if (write) writeFileSync(join(dir, name), text);
  process.stdout.write(`${write ? 'wrote' : 'would write'} ${join(dir, name)} (${text.length} bytes)\n`);
}
