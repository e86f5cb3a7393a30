import assert from 'node:assert/strict';
import {mkdirSync, statSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';
import {describe, it} from 'node:test';
import type {FeedImage} from '../../../src/lib/simplestreams/feed.js';
import {escapeHtml, humanSize, prefersHtml, renderFeedHtml} from '../../../src/lib/simplestreams/html.js';
import {ARTIFACTS, chromiumSkipReason, readPng, renderDom, screenshot} from '../../helpers/chromium.js';
import {tempDir} from '../../helpers/tmp.js';
import {HOSTILE, inTree, sampleImages} from './html-images.js';

const GENERATED = '2024-02-01T10:00:00Z';
const page = (images: readonly FeedImage[] = sampleImages(), extra: Partial<Parameters<typeof renderFeedHtml>[1]> = {}): string =>
  renderFeedHtml(images, {pathOf: inTree, generated: GENERATED, ...extra});

/** Every tag name the page opens: hostile metadata must not add one. */
const tagsOf = (html: string): Set<string> => new Set([...html.matchAll(/<([a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase()));
/** Every attribute name in the page's tags, read as a browser would (values are quoted, so a '>' inside one is text). */
function attributesOf(html: string): Set<string> {
  const names = new Set<string>();
  for (const tag of html.matchAll(/<[a-zA-Z][a-zA-Z0-9]*((?:\s+[a-zA-Z-]+(?:="[^"]*")?)*)\s*>/g)) {
    for (const attr of tag[1]!.matchAll(/\s+([a-zA-Z-]+)(?:="[^"]*")?/g)) names.add(attr[1]!.toLowerCase());
  }
  return names;
}
const hrefsOf = (html: string): string[] => [...html.matchAll(/\shref="([^"]*)"/g)].map((m) => m[1]!);
const ALLOWED_TAGS =
  'html head meta title style body header main footer nav section h1 h2 p pre code var ul li a span b br dl dt dd div table caption thead tbody tr th td time';
const ALLOWED_ATTRIBUTES = 'lang charset name content http-equiv class id aria-labelledby aria-label href download title scope data-label datetime';

describe('simplestreams html: escaping and values', () => {
  it('escapeHtml escapes the five characters that matter in content and quoted attributes', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&amp;</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;');
    assert.equal(escapeHtml('plain'), 'plain');
  });

  it('humanSize prints bytes as LXD does, in powers of 1024 with two decimals', () => {
    assert.equal(humanSize(0), '0B');
    assert.equal(humanSize(1023), '1023B');
    assert.equal(humanSize(1024), '1.00KiB');
    assert.equal(humanSize(1536), '1.50KiB');
    assert.equal(humanSize(130_002_944), '123.98MiB');
    assert.equal(humanSize(5 * 1024 ** 3), '5.00GiB');
    assert.equal(humanSize(3 * 1024 ** 4 + 1), '3.00TiB');
  });

  it('hostile properties, aliases and file names stay text: no tag, attribute or link comes from them', () => {
    const html = page();
    assert.ok(!/<script|<img/i.test(html), 'an injected tag');
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(2)&gt;'));
    const extra = [...tagsOf(html)].filter((t) => !ALLOWED_TAGS.split(' ').includes(t));
    assert.deepEqual(extra, []);
    // Tags are counted as opened; each must be closed by a '>' that is markup, so all of them must parse here.
    assert.equal([...html.matchAll(/<[a-zA-Z]/g)].length, [...html.matchAll(/<[a-zA-Z][a-zA-Z0-9]*((?:\s+[a-zA-Z-]+(?:="[^"]*")?)*)\s*>/g)].length);
    assert.deepEqual(
      [...attributesOf(html)].filter((a) => !ALLOWED_ATTRIBUTES.split(' ').includes(a)),
      [],
    );
    for (const href of hrefsOf(html)) {
      assert.ok(!/^[a-z][a-z0-9+.-]*:/i.test(href) && !href.startsWith('/') && !href.startsWith('//'), `a non-relative link ${href}`);
      assert.ok(!/[<>"'\s]/.test(href), `an unencoded character in ${href}`);
    }
    // The hostile file's link is its tree path with every segment encoded: the ':' cannot make a scheme.
    assert.ok(hrefsOf(html).some((h) => h.startsWith('images/evil/1.0/arm64/default/20240105_0900/javascript%3Aalert(3)/%3Cscript%3E')));
    // A quote in an alias cannot end the shell word of the example command.
    assert.ok(!html.includes("img:it's"));
  });

  it('links each file at its path relative to the page, and leaves unsafe paths unlinked', () => {
    const html = page();
    assert.ok(hrefsOf(html).includes('images/ubuntu/jammy/amd64/default/20240131_0412/root.squashfs'));
    assert.ok(hrefsOf(html).includes('images/ubuntu/jammy/amd64/default/20240131_0412/disk.qcow2'));
    for (const bad of ['../../etc/passwd', '/etc/passwd', 'https://evil.example/x', 'javascript:alert(1)', 'a/./b', 'a\\..\\b', '%2e%2e/x']) {
      const one = page(sampleImages().slice(1, 2), {pathOf: () => bad});
      assert.ok(!hrefsOf(one).some((h) => !h.startsWith('#') && h !== 'streams/v1/index.json'), `${bad} was linked`);
      assert.ok(one.includes('<span class="name">root.squashfs</span>'));
    }
    const served = page(sampleImages(), {pathOf: (image, file) => `files/${image.fingerprint}/${file.name}`});
    assert.ok(hrefsOf(served).includes(`files/${sampleImages()[1]!.fingerprint}/root.squashfs`));
  });

  it('groups by product, newest version first, with full fingerprints, sizes, sha256s and aliases', () => {
    const images = sampleImages();
    const html = page(images);
    for (const image of images) {
      assert.ok(html.includes(`title="${image.fingerprint}"`));
      assert.ok(html.replace(/<\/?b>/g, '').includes(image.fingerprint), 'the full fingerprint as text');
      for (const f of image.files) assert.ok(html.includes(f.sha256));
    }
    const [old, newer, vm] = images as [FeedImage, FeedImage, FeedImage];
    assert.ok(html.indexOf(newer.fingerprint) < html.indexOf(old.fingerprint), 'newest version first');
    assert.ok(html.indexOf(vm.fingerprint) < html.indexOf(old.fingerprint));
    assert.equal(html.match(/<section class="product"/g)?.length, 2);
    assert.ok(html.includes('<h2 id="product-ubuntu-jammy-amd64-default-h">Ubuntu 22.04 LTS'));
    assert.ok(html.includes('<code class="alias">ubuntu/22.04</code>'));
    assert.ok(html.includes('123.98MiB') && html.includes('title="130002944 bytes"'));
    assert.ok(html.includes('>VM</span>') && html.includes('>container</span>'));
    assert.ok(html.includes('2024-01-31 04:12 UTC') && html.includes('>2023-12-01<'));
    assert.ok(html.includes('<th scope="col">Fingerprint</th>') && html.includes('<html lang="en">'));
  });

  it('says how to add the remote: with its URL when known, else how to find it', () => {
    const known = page(sampleImages(), {remoteUrl: 'https://images.example:8443', remoteName: 'mine'});
    assert.ok(known.includes('lxc remote add mine https://images.example:8443 --protocol simplestreams --public'));
    assert.ok(known.includes('img remote add mine https://images.example:8443 --protocol simplestreams'));
    assert.ok(known.includes('lxc launch mine:ubuntu/22.04</code>'), 'an alias that needs no quoting in the example');
    const relative = page();
    assert.ok(relative.includes('lxc remote add img <var>URL</var> --protocol simplestreams --public'));
    assert.match(relative, /address this page is served from/);
    const hostileUrl = page([], {remoteUrl: `https://x/'$(reboot)`, remoteName: HOSTILE});
    assert.ok(hostileUrl.includes(`&#39;https://x/&#39;\\&#39;&#39;$(reboot)&#39;`), 'the URL is one quoted shell word');
    assert.ok(!/<script/i.test(hostileUrl));
  });

  it("shows times in UTC, reading simplestreams' RFC 2822 `updated` too", () => {
    assert.ok(page([], {generated: 'Wed, 02 Dec 2026 15:41:11 +0000'}).includes('Updated <time datetime="2026-12-02T15:41:11Z">2026-12-02 15:41 UTC</time>'));
    assert.ok(page([], {generated: GENERATED}).includes('Updated <time datetime="2024-02-01T10:00:00Z">2024-02-01 10:00 UTC</time>'));
    assert.ok(page([], {generated: HOSTILE}).includes('Updated &lt;script&gt;'));
    assert.ok(!page([], {generated: ''}).includes('Updated'));
  });

  it('an empty tree says it has no public images, and the same input gives the same bytes', () => {
    const html = page([]);
    assert.match(html, /no public images/);
    assert.ok(!html.includes('<table'));
    assert.equal(page(), page());
    assert.equal(page(sampleImages().reverse()), page(), 'input order does not matter');
  });
});

describe('simplestreams html: prefersHtml', () => {
  const FIREFOX = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
  const CHROME = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7';
  const SAFARI = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

  it('browsers get the page', () => {
    for (const accept of [FIREFOX, CHROME, SAFARI, 'text/html', 'TEXT/HTML; charset=utf-8', 'application/json, text/html', 'text/html;q=0.5, */*;q=0.1']) {
      assert.equal(prefersHtml(accept), true, accept);
    }
  });

  it('curl, wget, scripts and LXD (which sends no Accept) get JSON', () => {
    for (const accept of [
      undefined,
      '',
      '*/*',
      'application/json',
      'application/json, text/html;q=0.9',
      'text/html;q=0',
      'text/*',
      'garbage',
      'text/html;q=2',
    ]) {
      assert.equal(prefersHtml(accept), false, String(accept));
    }
  });
});

describe('simplestreams html: in chromium', () => {
  const skip = chromiumSkipReason();

  it('renders the products, fingerprints and links, runs nothing, and is screenshotted light, dark and narrow', async (t) => {
    if (skip) return t.skip(skip);
    const dir = tempDir();
    const images = sampleImages().slice(0, 3);
    writeFileSync(join(dir, 'index.html'), page(images, {title: 'Sample images'}));
    const url = pathToFileURL(join(dir, 'index.html')).href;
    const dom = await renderDom(url);
    assert.ok(!/<script/i.test(dom));
    assert.match(dom, /<h1>Sample images<\/h1>/);
    assert.match(dom, /Ubuntu 22\.04 LTS/);
    for (const image of images) assert.ok(dom.replace(/<\/?b>/g, '').includes(image.fingerprint));
    assert.ok(dom.includes('href="images/ubuntu/jammy/amd64/default/20231201_0000/root.squashfs"'));

    mkdirSync(ARTIFACTS, {recursive: true});
    const shots = {
      light: join(ARTIFACTS, 'simplestreams-page-light.png'),
      dark: join(ARTIFACTS, 'simplestreams-page-dark.png'),
      narrow: join(ARTIFACTS, 'simplestreams-page-narrow.png'),
    };
    await screenshot(url, shots.light);
    await screenshot(url, shots.dark, {dark: true});
    await screenshot(url, shots.narrow, {windowSize: '390,1200'});
    for (const png of Object.values(shots)) assert.ok(statSync(png).size > 20_000, `${png} is nearly empty`);
    // The page's background, left of the cards: light in one, dark in the other.
    const brightness = (png: string): number =>
      readPng(png)
        .pixel(4, 400)
        .reduce((a, b) => a + b, 0) / 3;
    assert.ok(brightness(shots.light) > 200, 'a light page');
    assert.ok(brightness(shots.dark) < 60, 'a dark page');
    assert.equal(readPng(shots.narrow).width, 390);
  });
});
