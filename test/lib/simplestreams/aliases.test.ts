// src/lib/simplestreams/aliases.ts: LXD 5.0.2's alias generation and resolution (simplestreams.md §3).
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {aliasesOf, resolveStreamImage} from '../../../src/lib/simplestreams/aliases.js';
import {parseProducts} from '../../../src/lib/simplestreams/products.js';
import {isUserError} from '../../../src/lib/errors.js';
import {feed, h, item, product, split} from './feed.js';

const X86 = {architecture: 'x86_64'};
const FPS = {combined_squashfs_sha256: h('1'), combined_rootxz_sha256: h('2'), 'combined_disk-kvm-img_sha256': h('3')};

function rejects(fn: () => unknown, code: string, message: RegExp): void {
  assert.throws(fn, (err: unknown) => isUserError(err) && err.code === code && message.test(err.message));
}

describe('alias generation', () => {
  test('spectest/one: the squashfs pair wins over root.tar.xz; short and medium aliases per type', () => {
    const set = parseProducts(feed({p: product('amd64', 'spectest/one', {'20231115_0100': split('one', ['root.tar.xz', 'squashfs', 'disk-kvm.img'], FPS)})}));
    assert.deepEqual(
      set.aliases.map((a) => [a.name, a.type, a.architecture, a.fingerprint, a.short]),
      [
        ['spectest/one', 'container', 'x86_64', h('1'), true],
        ['spectest/one/amd64', 'container', 'x86_64', h('1'), false],
        ['spectest/one', 'virtual-machine', 'x86_64', h('3'), true],
        ['spectest/one/amd64', 'virtual-machine', 'x86_64', h('3'), false],
      ],
    );
    assert.equal(resolveStreamImage(set, 'spectest/one', X86).fingerprint, h('1'));
  });

  test('the newest serial wins an alias, whatever the order in the file', () => {
    const v = (c: string): Record<string, unknown> => split(c, ['squashfs'], {combined_squashfs_sha256: h(c)});
    const set = parseProducts(feed({p: product('amd64', 'spectest/new', {'20231115_0100': v('4'), '20240101_0000': v('5'), '20231231': v('6')})}));
    assert.equal(resolveStreamImage(set, 'spectest/new', X86).fingerprint, h('5'));
    assert.equal(resolveStreamImage(set, 'spectest/new/amd64', X86).fingerprint, h('5'));
    assert.deepEqual(aliasesOf(set.aliases, h('4'), 'x86_64'), []);
  });

  test('a leading "ubuntu/" is stripped only for https://cloud-images.ubuntu.com; aliases are comma-separated as written', () => {
    const json = feed({p: product('arm64', 'ubuntu/22.04,j,jammy', {'20231115': split('u', ['squashfs'], FPS)})});
    const names = (url?: string): string[] => parseProducts(json, {remoteUrl: url}).aliases.map((a) => a.name);
    assert.deepEqual(names('https://cloud-images.ubuntu.com/releases'), ['22.04', '22.04/arm64', 'j', 'j/arm64', 'jammy', 'jammy/arm64']);
    for (const url of [undefined, 'https://images.linuxcontainers.org', 'http://cloud-images.ubuntu.com/releases']) {
      assert.deepEqual(names(url), ['ubuntu/22.04', 'ubuntu/22.04/arm64', 'j', 'j/arm64', 'jammy', 'jammy/arm64'], String(url));
    }
  });

  test('short aliases show on an image only on the host architecture; medium ones always', () => {
    const v = {'20231115': split('a', ['squashfs'], FPS)};
    const set = parseProducts(feed({p: product('arm64', 'spectest/arm', v)}));
    assert.deepEqual(aliasesOf(set.aliases, h('1'), 'x86_64'), ['spectest/arm/arm64']);
    assert.deepEqual(aliasesOf(set.aliases, h('1'), 'arm64'), ['spectest/arm', 'spectest/arm/arm64']);
  });
});

describe('resolveStreamImage', () => {
  const dual = feed({
    c: product('amd64', 'spectest/dual', {
      '20231115': {'lxd.tar.xz': item('lxd.tar.xz', 'c/lxd.tar.xz', 'a', 1, {combined_squashfs_sha256: h('c')}), r: item('squashfs', 'c/r', 'b', 1)},
    }),
    v: product('amd64', 'spectest/dual', {
      '20231115': {'lxd.tar.xz': item('lxd.tar.xz', 'v/lxd.tar.xz', 'a', 1, {'combined_disk-kvm-img_sha256': h('e')}), r: item('disk-kvm.img', 'v/r', 'b', 1)},
    }),
  });

  test('spectest/dual: untyped → container, typed → that type', () => {
    const set = parseProducts(dual);
    assert.equal(resolveStreamImage(set, 'spectest/dual', X86).fingerprint, h('c'));
    assert.equal(resolveStreamImage(set, 'spectest/dual', {...X86, type: 'container'}).fingerprint, h('c'));
    assert.equal(resolveStreamImage(set, 'spectest/dual', {...X86, type: 'virtual-machine'}).fingerprint, h('e'));
  });

  test('spectest/arm (arm64 only) resolves on x86_64 to the aarch64 image', () => {
    const set = parseProducts(feed({p: product('arm64', 'spectest/arm', {'20231115': split('a', ['squashfs'], FPS)})}));
    const image = resolveStreamImage(set, 'spectest/arm', X86);
    assert.equal(image.architecture, 'aarch64');
    assert.equal(image.fingerprint, h('1'));
    rejects(() => resolveStreamImage(set, 'spectest/arm', {...X86, type: 'virtual-machine'}), 'ImageNotFound', /couldn't be found/);
  });

  test('host arch first, then its personalities, then the rest', () => {
    const v = (c: string): Record<string, unknown> => ({'20231115': split(c, ['squashfs'], {combined_squashfs_sha256: h(c)})});
    const set = parseProducts(
      feed({
        a: product('arm64', 'multi', v('a')),
        b: product('i386', 'multi', v('b')),
        c: product('amd64', 'multi', v('c')),
        d: product('armhf', 'multi', v('d')),
      }),
    );
    assert.equal(resolveStreamImage(set, 'multi', X86).fingerprint, h('c'));
    assert.equal(resolveStreamImage(set, 'multi', {architecture: 'amd64'}).fingerprint, h('c'), 'host given as an alias');
    assert.equal(resolveStreamImage(set, 'multi', {architecture: 'arm64'}).fingerprint, h('a'));
    assert.equal(resolveStreamImage(set, 'multi', {architecture: 'armv8l'}).fingerprint, h('d'), 'armv8l runs armv7l');
    const noNative = {...set, aliases: set.aliases.filter((a) => a.architecture !== 'x86_64')};
    assert.equal(resolveStreamImage(noNative, 'multi', X86).fingerprint, h('b'), 'i686 is x86_64’s personality');
    const onlyArm = {...set, aliases: set.aliases.filter((a) => a.architecture === 'aarch64' || a.architecture === 'armv7l')};
    assert.equal(resolveStreamImage(onlyArm, 'multi', {architecture: 's390x'}).fingerprint, h('a'), 'foreign: first registered');
  });

  test('no alias: a unique fingerprint prefix, else AmbiguousPrefix or ImageNotFound', () => {
    const set = parseProducts(dual);
    assert.equal(resolveStreamImage(set, 'ccc', X86).fingerprint, h('c'));
    assert.equal(resolveStreamImage(set, h('e'), X86).fingerprint, h('e'));
    rejects(() => resolveStreamImage(set, 'spectest/nonexist', X86), 'ImageNotFound', /^The requested image couldn't be found: "spectest\/nonexist"$/);
    rejects(() => resolveStreamImage(set, '', X86), 'ImageNotFound', /couldn't be found/);
    rejects(() => resolveStreamImage(set, 'ccc', {...X86, type: 'virtual-machine'}), 'ImageNotFound', /type virtual-machine/);
    const two = parseProducts(
      feed({
        a: product('amd64', 'a', {
          '20231115': split('a', ['squashfs', 'root.tar.xz'], {
            combined_squashfs_sha256: 'ab' + h('1').slice(2),
            combined_rootxz_sha256: 'ab' + h('2').slice(2),
          }),
        }),
      }),
    );
    rejects(() => resolveStreamImage(two, 'ab', X86), 'AmbiguousPrefix', /^More than one match for the provided partial fingerprint "ab" \(2 images\)$/);
    assert.equal(resolveStreamImage(two, 'ab1', X86).properties.type, 'squashfs');
  });

  test('one fingerprint listed by two products is one match', () => {
    const v = {'20231115': split('a', ['squashfs'], FPS)};
    const set = parseProducts(feed({a: product('amd64', 'x', v), b: product('amd64', 'y', v)}));
    assert.equal(set.images.length, 2);
    assert.equal(resolveStreamImage(set, '111', X86).fingerprint, h('1'));
  });
});
