// The page img serve gives a browser at / (must-show 6 of the feeds issue), judged by Debian's
// headless Chromium as a person would see it: the public image with working download links, not
// the private one, no script; a screenshot is left in test/artifacts for people to look at.
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {mkdirSync, readFileSync, statSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import {ARTIFACTS, chromiumSkipReason, renderDom, screenshot} from '../helpers/chromium.js';
import {sampleStore, type SampleStore} from '../helpers/sample-store.js';
import {startServe, type ServeChild} from '../helpers/serve.js';
import {tempDir} from '../helpers/tmp.js';

const skip = chromiumSkipReason();

describe('img serve: the page a browser gets at /', {skip}, () => {
  let s: SampleStore;
  let serve: ServeChild;

  before(async () => {
    s = sampleStore(tempDir()); // the unified image is private, the split one public
    serve = await startServe(s.home);
  });
  after(async () => {
    await serve?.stop();
  });

  it('shows the public image with links that download it, not the private one, and runs nothing', async () => {
    const dom = (await renderDom(`${serve.url}/`)).replace(/<\/?b>/g, '');
    assert.ok(dom.includes(s.split), 'the public image');
    assert.ok(!dom.includes(s.unified) && !dom.includes(s.unified.slice(0, 12)), 'not the private one');
    assert.ok(!/<script/i.test(dom));
    assert.ok(dom.includes(`lxc remote add`) && dom.includes(serve.url), 'how to add this server');
    const links = [...dom.matchAll(/\shref="(files\/[^"]+)"/g)].map((m) => m[1]!);
    assert.equal(links.length, 2, links.join(' '));
    const root = readFileSync(s.files.root);
    const got = await fetch(`${serve.url}/${links.find((l) => l.endsWith('/root.squashfs'))}`);
    assert.equal(got.status, 200);
    assert.equal(
      createHash('sha256')
        .update(Buffer.from(await got.arrayBuffer()))
        .digest('hex'),
      createHash('sha256').update(root).digest('hex'),
    );
  });

  it('is screenshotted for people to look at', async () => {
    mkdirSync(ARTIFACTS, {recursive: true});
    const png = join(ARTIFACTS, 'serve-page.png');
    await screenshot(`${serve.url}/`, png, {windowSize: '1280,900'});
    assert.ok(statSync(png).size > 20_000, 'a screenshot with something in it');
  });

  it('LXD clients and scripts at / still get JSON', async () => {
    const r = await fetch(`${serve.url}/`);
    assert.match(r.headers.get('content-type') ?? '', /json/);
    assert.deepEqual(((await r.json()) as {metadata: unknown}).metadata, ['/1.0']);
  });
});
