import assert from 'node:assert/strict';
import {existsSync, mkdirSync, readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';
import {before, describe, it} from 'node:test';
import {img} from '../../helpers/cli.js';
import {ARTIFACTS, chromiumSkipReason, renderDom, screenshot} from '../../helpers/chromium.js';
import {sampleStore, type SampleStore} from '../../helpers/sample-store.js';
import {tempDir} from '../../helpers/tmp.js';

const pageOf = (dir: string): string => readFileSync(join(dir, 'index.html'), 'utf8');
const linksOf = (html: string): string[] => [...html.matchAll(/\shref="([^"#][^"]*)"/g)].map((m) => m[1]!);

/** Every link of a tree's page names a file of the tree (the page sits at its root). */
function assertLinksResolve(dir: string): string[] {
  const links = linksOf(pageOf(dir));
  for (const href of links) {
    const path = join(dir, ...href.split('/').map(decodeURIComponent));
    assert.ok(existsSync(path) && statSync(path).isFile(), `${href} names no file of the tree`);
  }
  return links;
}

describe('img simplestreams … --html', () => {
  let work: string;
  let s: SampleStore;

  before(() => {
    work = tempDir();
    s = sampleStore(work); // the unified image is private, the split one public
  });

  it('export --html writes a page of the public images whose links all resolve, and a re-export leaves it byte-identical', () => {
    const dir = join(work, 'tree');
    assert.equal(s.run(['image', 'edit', s.unified], 'public: true\n').code, 0);
    try {
      const r = s.run(['simplestreams', 'export', dir, '--html']);
      assert.equal(r.code, 0, r.stderr);
      const page = pageOf(dir);
      for (const fp of [s.split, s.unified]) assert.ok(page.includes(fp), `the page names ${fp}`);
      assert.ok(!/<script/i.test(page));
      const links = assertLinksResolve(dir);
      // Both images' files, and the feed's index.
      assert.ok(links.some((l) => l.endsWith('.root.squashfs')) && links.some((l) => l.endsWith('.lxd_combined.tar.gz')));
      assert.ok(links.includes('streams/v1/index.json'));
      const again = s.run(['simplestreams', 'export', dir, '--html', '--format', 'json']);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(pageOf(dir), page);
      assert.deepEqual((JSON.parse(again.stdout) as {written: string[]}).written, []);
    } finally {
      assert.equal(s.run(['image', 'edit', s.unified], 'public: false\n').code, 0);
    }
  });

  it('add --html and remove --html keep the page in step with the tree', () => {
    const dir = join(work, 'added');
    const home = join(work, 'add-home');
    const a = img(['simplestreams', 'add', dir, s.files.meta, s.files.root, '--alias', 'split-one', '--html'], {home});
    assert.equal(a.code, 0, a.stderr);
    assert.ok(pageOf(dir).includes(s.split));
    assert.ok(pageOf(dir).includes('split-one'));
    const u = img(['simplestreams', 'add', dir, s.files.unified, '--html'], {home});
    assert.equal(u.code, 0, u.stderr);
    assert.ok(pageOf(dir).includes(s.split) && pageOf(dir).includes(s.unified));
    assertLinksResolve(dir);
    const rm = img(['simplestreams', 'remove', dir, s.split, '--html'], {home});
    assert.equal(rm.code, 0, rm.stderr);
    assert.ok(!pageOf(dir).includes(s.split));
    assert.ok(pageOf(dir).includes(s.unified));
    assertLinksResolve(dir);
  });

  it('chromium shows the public image and not the private one; the screenshot is left in test/artifacts', async (t) => {
    const skip = chromiumSkipReason();
    if (skip) return t.skip(skip);
    const dir = join(work, 'public-only');
    const r = s.run(['simplestreams', 'export', dir, '--html']);
    assert.equal(r.code, 0, r.stderr);
    const url = pathToFileURL(join(dir, 'index.html')).href;
    const dom = (await renderDom(url)).replace(/<\/?b>/g, '');
    assert.ok(dom.includes(s.split), 'the public image');
    assert.ok(!dom.includes(s.unified) && !dom.includes(s.unified.slice(0, 12)), 'not the private one');
    assert.ok(!/<script/i.test(dom));
    mkdirSync(ARTIFACTS, {recursive: true});
    const png = join(ARTIFACTS, 'simplestreams-export-page.png');
    await screenshot(url, png, {windowSize: '1280,900'});
    assert.ok(statSync(png).size > 20_000, 'a screenshot with something in it');
  });
});
