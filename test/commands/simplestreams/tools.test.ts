import assert from 'node:assert/strict';
import {cpSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, it} from 'node:test';
import {img, imgAsync, isCleanError} from '../../helpers/cli.js';
import {StaticServer} from '../../helpers/https.js';
import {tempDir} from '../../helpers/tmp.js';
import {minimalExample, snapshot, syntheticTree} from '../../lib/simplestreams/synthetic-tree.js';

const VERSIONS = ['20240101_0000', '20240102_0000', '20240103_0000', '20240104_0000'];

describe('img simplestreams list | verify | prune | mirror', () => {
  let work: string;
  let home: string;
  let source: string;
  let server: StaticServer;

  before(async () => {
    work = tempDir();
    home = join(work, 'home');
    source = join(work, 'source');
    syntheticTree(source, [
      {os: 'Alpine', release: '3.19', arch: 'amd64', versions: VERSIONS},
      {os: 'Debian', release: '12', arch: 'arm64', versions: VERSIONS.slice(0, 2)},
    ]);
    server = await StaticServer.start(source);
    const r = await imgAsync(['remote', 'add', 'feed', server.url, '--protocol', 'simplestreams'], {home});
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => server.stop());

  it('verify finds a corrupted file and a missing file, names both, and exits 1', () => {
    const dir = tempDir();
    minimalExample(dir);
    const ok = img(['simplestreams', 'verify', dir], {home});
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^ok: 1 products file\(s\), 2 file\(s\) of 76 bytes checked$/m);
    const text = join(dir, 'product1/20150915/text.txt');
    writeFileSync(text, readFileSync(text, 'utf8').replace(/^./, 'X'));
    rmSync(join(dir, 'product1/20150915/root.img'));
    const bad = img(['simplestreams', 'verify', dir], {home});
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /^MISSING product1\/20150915\/root\.img$/m);
    assert.match(bad.stdout, /^SHA256 product1\/20150915\/text\.txt: tree has [0-9a-f]{64}, index says f4797060c7936/m);
    assert.match(bad.stdout, /^2 problem\(s\)/m);
    assert.ok(isCleanError(bad.stderr), bad.stderr);
    const json = img(['simplestreams', 'verify', dir, '--format', 'json'], {home});
    assert.equal(json.code, 1);
    assert.deepEqual(
      (JSON.parse(json.stdout) as {problems: Array<{kind: string}>}).problems.map((p) => p.kind),
      ['missing', 'sha256'],
    );
    assert.match(json.stderr, /"code":"TreeMismatch"/);
  });

  it('prune --dry-run changes nothing and says what it would remove; prune then removes it', () => {
    const dir = tempDir();
    cpSync(source, dir, {recursive: true});
    writeFileSync(join(dir, 'images/alpine/stray.bin'), 'nobody names me');
    const before = snapshot(dir);
    const dry = img(['simplestreams', 'prune', dir, '--retain', '1', '--dry-run'], {home});
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^would remove version alpine:3\.19:amd64:default 20240101_0000$/m);
    assert.match(dry.stdout, /^would remove version alpine:3\.19:amd64:default 20240102_0000$/m);
    assert.doesNotMatch(dry.stdout, /20240103_0000|debian/);
    assert.match(dry.stdout, /^would remove images\/alpine\/3\.19\/amd64\/default\/20240101_0000\/root\.squashfs$/m);
    assert.match(dry.stdout, /^would remove images\/alpine\/stray\.bin$/m);
    assert.match(dry.stdout, /^2 version\(s\), 5 file\(s\) \(1 orphaned\) would remove/m);
    assert.deepEqual(snapshot(dir), before);

    const real = img(['simplestreams', 'prune', dir, '--retain', '1'], {home});
    assert.equal(real.code, 0, real.stderr);
    assert.match(real.stdout, /^2 version\(s\), 5 file\(s\) \(1 orphaned\) removed; wrote 1$/m);
    assert.equal(img(['simplestreams', 'verify', dir], {home}).code, 0);
    const bad = img(['simplestreams', 'prune', dir, '--retain', '-1'], {home});
    assert.equal(bad.code, 2);
  });

  it('list reads a tree, a feed URL and a configured remote', async () => {
    const local = img(['simplestreams', 'list', source, '--format', 'json'], {home});
    assert.equal(local.code, 0, local.stderr);
    const rows = JSON.parse(local.stdout) as Array<{product: string; version: string; items: string[]}>;
    assert.equal(rows.length, 6);
    const url = await imgAsync(['simplestreams', 'list', server.url, '--format', 'json'], {home});
    assert.equal(url.code, 0, url.stderr);
    assert.deepEqual(JSON.parse(url.stdout), rows);
    assert.match(url.stderr, /^Warning: http:\/\/127\.0\.0\.1:\d+ is reached over plain http/m);
    const remote = await imgAsync(['simplestreams', 'list', 'feed:'], {home});
    assert.equal(remote.code, 0, remote.stderr);
    assert.match(remote.stdout, /\| debian:12:arm64:default +\| 20240102_0000 \| images +\| image-downloads \| lxd\.tar\.xz, squashfs \|/);
    const missing = img(['simplestreams', 'list', join(work, 'nothing')], {home});
    assert.equal(missing.code, 1);
    assert.ok(isCleanError(missing.stderr), missing.stderr);
  });

  it('mirror copies a filtered part of a remote feed that verify accepts; again, it fetches nothing', async () => {
    const dir = join(work, 'mirror');
    const dry = await imgAsync(['simplestreams', 'mirror', 'feed:', 'os=Alpine', dir, '--max', '2', '--dry-run'], {home});
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^would fetch images\/alpine\/3\.19\/amd64\/default\/20240104_0000\/root\.squashfs \(/m);
    assert.match(dry.stdout, /^2 version\(s\) of 1 product\(s\): would fetch 4 file\(s\)/m);
    assert.doesNotMatch(dry.stdout, /20240102_0000/);

    const r = await imgAsync(['simplestreams', 'mirror', 'feed:', 'os=Alpine', dir, '--max', '2'], {home});
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^2 version\(s\) of 1 product\(s\): fetched 4 file\(s\)/m);
    const v = img(['simplestreams', 'verify', dir], {home});
    assert.equal(v.code, 0, v.stdout + v.stderr);
    assert.match(v.stdout, /^ok: 1 products file\(s\), 4 file\(s\)/m);

    server.reset();
    const again = await imgAsync(['simplestreams', 'mirror', 'feed:os=Alpine', dir, '--max', '2'], {home});
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /fetched 0 file\(s\) \(0B\), kept 4, wrote 0, removed 0$/m);
    assert.equal(server.requests.filter((q) => q.path.startsWith('/images/')).length, 0);

    // By URL, everything: the tree grows to the whole feed.
    const all = await imgAsync(['simplestreams', 'mirror', server.url, dir, '--format', 'json'], {home});
    assert.equal(all.code, 0, all.stderr);
    assert.equal((JSON.parse(all.stdout) as {versions: unknown[]}).versions.length, 6);
    assert.equal(img(['simplestreams', 'verify', dir], {home}).code, 0);
  });

  it('mirror fails clearly on a file the source serves wrong, and the tree stays as it was', async () => {
    const tampered = join(work, 'tampered');
    cpSync(source, tampered, {recursive: true});
    const path = 'images/debian/12/arm64/default/20240101_0000/lxd.tar.xz';
    writeFileSync(join(tampered, path), readFileSync(join(tampered, path), 'utf8').replace('metadata', 'METADATA'));
    const bad = await StaticServer.start(tampered);
    try {
      const dir = join(work, 'mirror2');
      assert.equal((await imgAsync(['simplestreams', 'mirror', `${bad.url}`, 'os=Alpine', dir], {home})).code, 0);
      const before = snapshot(dir);
      const r = await imgAsync(['simplestreams', 'mirror', bad.url, dir, '--format', 'json'], {home});
      assert.equal(r.code, 1);
      assert.ok(isCleanError(r.stderr), r.stderr);
      assert.match(r.stderr, new RegExp(`${path.replaceAll('.', '\\.')}: sha256 mismatch`));
      assert.match(r.stderr, /"code":"HashMismatch"/);
      assert.deepEqual(snapshot(dir), before);
    } finally {
      await bad.stop();
    }
    const usage = img(['simplestreams', 'mirror', 'nocolon', join(work, 'x')], {home});
    assert.equal(usage.code, 2);
  });
});
