// A real LXD 5.0.2 serving images over HTTPS, as any public LXD remote does, read by LxdSource as
// an untrusted client: it lists the public images only, resolves names as `lxc image copy` does,
// and downloads unified and split exports that import with LXD's fingerprints. LXD's self-signed
// certificate is pinned, as lxc pins a remote's.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import https from 'node:https';
import {createServer} from 'node:net';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {ResponseCache} from '../../src/lib/http/cache.js';
import {LXD_EXPORT_PARTS, multipartBoundary, parseMultipart} from '../../src/lib/http/multipart.js';
import {LxdSource} from '../../src/lib/remotes/lxd.js';
import {importImage} from '../../src/lib/store/import.js';
import {Store} from '../../src/lib/store/store.js';
import {lcg} from '../helpers/bytes.js';
import {makeImageTree, makeRootfs, METADATA, tar} from '../helpers/images.js';
import {lxdSkipReason, ThrowawayLxd} from '../helpers/lxd.js';
import {codeOf} from '../helpers/store.js';
import {imgAsync} from '../helpers/cli.js';
import {tempDir} from '../helpers/tmp.js';
import type {ImageJson} from '../helpers/views.js';

const skip = lxdSkipReason();

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const {port} = server.address() as {port: number};
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const sha256 = (files: string[]) => files.reduce((h, f) => h.update(readFileSync(f)), createHash('sha256')).digest('hex');

/** GET with LXD's certificate as the only CA, whole: for the raw bytes of an export. */
function fetchRaw(url: string, ca: string): Promise<{contentType: string; body: Buffer}> {
  return new Promise((resolve, reject) => {
    https
      .get(url, {ca}, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({contentType: res.headers['content-type'] ?? '', body: Buffer.concat(parts)}));
      })
      .on('error', reject);
  });
}

describe('an LXD 5.0.2 server as an lxd remote', {skip}, () => {
  let lxd: ThrowawayLxd;
  let url: string;
  let certificate: string;
  const work = tempDir();
  const fp: Record<'unified' | 'split' | 'vm' | 'private' | 'twin', string> = {unified: '', split: '', vm: '', private: '', twin: ''};
  const files: Record<string, string[]> = {};
  const source = (cert = certificate) => new LxdSource({name: 'pub', url: `${url}/`, certificate: cert}, {cache: new ResponseCache(tempDir(), {ttlMs: 0})});

  function lxdImport(key: keyof typeof fp, paths: string[], extra: string[]): void {
    const got = lxd.importImage(paths, extra);
    assert.ok(got.fingerprint, got.error);
    assert.equal(got.fingerprint, sha256(paths));
    fp[key] = got.fingerprint;
    files[key] = paths;
  }

  before(async () => {
    lxd = await ThrowawayLxd.start();
    const port = await freePort();
    const set = lxd.lxc(['config', 'set', 'core.https_address', `127.0.0.1:${port}`]);
    assert.equal(set.code, 0, set.stderr);
    url = `https://127.0.0.1:${port}`;
    certificate = readFileSync(join(lxd.env.LXD_DIR!, 'server.crt'), 'utf8');

    const tree = makeImageTree(join(work, 'tree'), {seed: 'remote-unified'});
    tar(['-cJf', join(work, 'u.tar.xz'), '-C', tree, 'metadata.yaml', 'templates', 'rootfs']);
    lxdImport('unified', [join(work, 'u.tar.xz')], ['--public', '--alias', 'pub-unified']);

    mkdirSync(join(work, 'meta'));
    writeFileSync(join(work, 'meta', 'metadata.yaml'), METADATA);
    tar(['-cJf', join(work, 'meta.tar.xz'), '-C', join(work, 'meta'), 'metadata.yaml']);
    makeRootfs(join(work, 'rootfs'), 'remote-split');
    execFileSync('mksquashfs', [join(work, 'rootfs'), join(work, 'r.squashfs'), '-noappend', '-all-root', '-comp', 'xz', '-quiet', '-no-progress']);
    lxdImport('split', [join(work, 'meta.tar.xz'), join(work, 'r.squashfs')], ['--public', '--alias', 'pub/split']);

    writeFileSync(join(work, 'disk.qcow2'), Buffer.concat([Buffer.from('QFI\xfb', 'latin1'), Buffer.alloc(2044, 7)]));
    lxdImport('vm', [join(work, 'meta.tar.xz'), join(work, 'disk.qcow2')], ['--public', '--alias', 'pub-vm']);

    const secret = makeImageTree(join(work, 'secret'), {seed: 'remote-private'});
    tar(['-czf', join(work, 'p.tar.gz'), '-C', secret, 'metadata.yaml', 'templates', 'rootfs']);
    lxdImport('private', [join(work, 'p.tar.gz')], ['--alias', 'hidden']);

    // A public image whose fingerprint shares its first digit with the unified one's, for an ambiguous prefix.
    for (let seed = 0; ; seed++) {
      const file = join(work, `twin-${seed}.tar`);
      writeFileSync(join(tree, 'rootfs', 'twin'), String(seed));
      tar(['-cf', file, '-C', tree, 'metadata.yaml', 'rootfs']);
      if (sha256([file])[0] !== fp.unified[0]) continue;
      lxdImport('twin', [file], ['--public']);
      break;
    }
  });
  after(async () => {
    await lxd?.stop();
  });

  test('list() shows the public images, as LXD describes them, and not the private one', async () => {
    const images = await source().list();
    assert.deepEqual(images.map((i) => i.fingerprint).sort(), [fp.unified, fp.split, fp.vm, fp.twin].sort());
    for (const image of images) {
      const theirs = lxd.image(image.fingerprint);
      for (const k of ['type', 'architecture', 'size', 'filename', 'properties', 'public', 'created_at', 'uploaded_at', 'expires_at', 'aliases', 'profiles']) {
        assert.deepEqual((image as unknown as Record<string, unknown>)[k], theirs[k], `${k} of ${image.fingerprint}`);
      }
      assert.equal(image.files.length, 1);
      assert.equal(image.files[0]!.size, image.size);
    }
    assert.equal(images.find((i) => i.fingerprint === fp.vm)?.type, 'virtual-machine');
    assert.equal(images.find((i) => i.fingerprint === fp.unified)?.files[0]?.compression, 'xz');
  });

  test('aliases() comes from the images (the alias list is refused to an untrusted client)', async () => {
    const aliases = await source().aliases();
    assert.deepEqual(
      aliases.map((a) => [a.name, a.target, a.type]),
      [
        ['pub-unified', fp.unified, 'container'],
        ['pub-vm', fp.vm, 'virtual-machine'],
        ['pub/split', fp.split, 'container'],
      ],
    );
  });

  test('resolve() by alias (with a slash), by prefix and by fingerprint; an ambiguous prefix is refused', async () => {
    const s = source();
    assert.equal((await s.resolve('pub-unified')).fingerprint, fp.unified);
    assert.equal((await s.resolve('pub/split')).fingerprint, fp.split);
    assert.equal((await s.resolve(fp.split.slice(0, 12).toUpperCase())).fingerprint, fp.split);
    assert.equal((await s.resolve(fp.vm, {type: 'virtual-machine'})).fingerprint, fp.vm);
    assert.equal(await codeOf(s.resolve(fp.unified.slice(0, 1))), 'AmbiguousPrefix');
    await assert.rejects(s.resolve('no-such-image'), {code: 'ImageNotFound', message: 'pub:no-such-image: Image not found'});
    // As in LXD: an alias of another type is no alias, and the name is then tried as a fingerprint.
    assert.equal(await codeOf(s.resolve('pub-vm', {type: 'container'})), 'ImageNotFound');
    assert.equal(await codeOf(s.resolve('pub-unified', {architecture: 'aarch64'})), 'ImageNotFound');
  });

  test('a private image is not found, by fingerprint, prefix or alias', async () => {
    const s = source();
    await assert.rejects(s.resolve(fp.private), {code: 'ImageNotFound', message: `pub:${fp.private}: Image "${fp.private}" not found`});
    assert.equal(await codeOf(s.info(fp.private.slice(0, 16))), 'ImageNotFound');
    assert.equal(await codeOf(s.resolve('hidden')), 'ImageNotFound');
  });

  for (const key of ['unified', 'split', 'vm'] as const) {
    test(`download() + importImage: the ${key} image gets LXD's fingerprint`, async () => {
      const s = source();
      const image = await s.resolve(fp[key]);
      const home = tempDir();
      const progress: number[] = [];
      const partial = (role: string) => join(home, 'downloads', `${image.fingerprint}.${role}.partial`);
      const got = await s.download(image, {partial}, {onProgress: (done, total) => (assert.equal(total, image.size), progress.push(done))});
      assert.equal(got.length, key === 'unified' ? 1 : 2);
      assert.deepEqual(
        got.map((g) => g.size),
        files[key]!.map((f) => readFileSync(f).length),
      );
      assert.equal(progress.at(-1), image.size);
      const store = new Store({home: join(home, 'store')});
      const view = await importImage(store, got, {fingerprint: image.fingerprint, move: true});
      assert.equal(view.fingerprint, fp[key]);
      assert.equal(view.type, key === 'vm' ? 'virtual-machine' : 'container');
      assert.deepEqual(
        readdirSync(join(home, 'downloads')).filter((n) => !n.endsWith('.lock')),
        [],
        'the partials were moved into the store',
      );
    });
  }

  test("LXD's split export, fed to the multipart parser whole, a byte at a time and in random pieces", async () => {
    const {contentType, body} = await fetchRaw(`${url}/1.0/images/${fp.split}/export`, certificate);
    const boundary = multipartBoundary(contentType);
    assert.ok(boundary);
    assert.ok(body.toString('latin1').endsWith(`--${boundary}--\r\n\r\n--${boundary}--\r\n`), 'LXD 5.0.2 writes the close delimiter twice');
    const expected = files.split!.map((f) => readFileSync(f));
    const next = lcg(5);
    for (const sizes of [() => body.length, () => 1, () => 1 + (next() % 3000)]) {
      async function* pieces() {
        for (let i = 0; i < body.length;) {
          const n = sizes();
          yield body.subarray(i, i + n);
          i += n;
        }
      }
      const got: Buffer[] = [];
      const names: string[] = [];
      for await (const part of parseMultipart(pieces(), {boundary, names: LXD_EXPORT_PARTS})) {
        names.push(part.name);
        const chunks: Buffer[] = [];
        for await (const c of part.body) chunks.push(Buffer.from(c));
        got.push(Buffer.concat(chunks));
      }
      assert.deepEqual(names, ['metadata', 'rootfs']);
      assert.ok(got[0]!.equals(expected[0]!) && got[1]!.equals(expected[1]!), 'the parts are the imported files');
    }
  });

  test('open() streams a unified image; a split one must be downloaded', async () => {
    const s = source();
    const file = await s.open(await s.info(fp.unified), 'unified');
    const hash = createHash('sha256');
    for await (const c of file.stream) hash.update(c as Buffer);
    assert.equal(hash.digest('hex'), fp.unified);
    assert.equal(file.name, `${fp.unified}.tar.xz`);
    assert.equal(await codeOf(s.open(await s.info(fp.split), 'unified')), 'Usage');
  });

  test('only the pinned certificate is trusted', async () => {
    const other = join(work, 'other');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1'].concat([
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        `${other}.key`,
        '-out',
        `${other}.crt`,
      ]),
      {stdio: 'ignore'},
    );
    assert.equal(await codeOf(source(readFileSync(`${other}.crt`, 'utf8')).list()), 'RemoteUnreachable');
  });

  test('the CLI: remote add --accept-certificate pins it; img image copy gets public images (unified and split) with their source, and not a private one', async () => {
    const home = join(work, 'cli-home');
    const run = (...args: string[]) => imgAsync(args, {home});
    const refused = await run('remote', 'add', 'pub', url);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is not trusted/);
    const added = await run('remote', 'add', 'pub', url, '--accept-certificate');
    assert.equal(added.code, 0, added.stderr);
    for (const [alias, key] of [
      ['pub-unified', 'unified'],
      ['pub/split', 'split'],
    ] as const) {
      const r = await run('image', 'copy', `pub:${alias}`, 'local:', '--alias', `mine-${key}`, '--auto-update');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(fp[key]));
      const info = JSON.parse((await run('image', 'info', `mine-${key}`, '--format', 'json')).stdout) as ImageJson;
      assert.equal(info.fingerprint, fp[key]);
      assert.deepEqual(info.properties, lxd.image(fp[key]).properties);
      assert.equal(info.update_source?.protocol, 'lxd');
      assert.equal(info.update_source?.server, url);
      assert.equal(info.update_source?.alias, alias);
      assert.equal(info.update_source?.certificate, certificate, 'the pinned certificate is recorded, as LXD records it');
    }
    const refresh = await run('image', 'refresh');
    assert.equal(refresh.code, 0, refresh.stderr);
    assert.match(refresh.stdout, /mine-unified: up to date/);
    const hidden = await run('image', 'copy', 'pub:hidden');
    assert.equal(hidden.code, 3, hidden.stderr);
    const byFp = await run('image', 'copy', `pub:${fp.private}`);
    assert.equal(byFp.code, 3, byFp.stderr);
  });
});
