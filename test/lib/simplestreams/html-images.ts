// FeedImages for the page tests: a split container, a VM of the same product, an older version,
// and a unified image of a second product whose metadata is hostile.
import type {FeedFile, FeedImage} from '../../../src/lib/simplestreams/feed.js';

export const HOSTILE = `<script>alert(1)</script>"><img src=x onerror=alert(2)>`;

const hex = (seed: string): string => Buffer.from(seed.repeat(32)).toString('hex').slice(0, 64);

function file(role: FeedFile['role'], name: string, size: number, seed: string): FeedFile {
  return {
    role,
    kind: name.endsWith('.squashfs') ? 'squashfs' : name.endsWith('.qcow2') ? 'qcow2' : 'tar',
    name,
    size,
    sha256: hex(seed),
    source: `/store/${seed}`,
  };
}

function image(over: Partial<FeedImage> & Pick<FeedImage, 'fingerprint' | 'version' | 'files'>): FeedImage {
  return {
    type: 'container',
    product: 'ubuntu:jammy:amd64:default',
    os: 'Ubuntu',
    release: 'jammy',
    releaseTitle: '22.04 LTS',
    arch: 'amd64',
    architecture: 'x86_64',
    variant: 'default',
    aliases: ['ubuntu/22.04', 'jammy'],
    properties: {description: 'Ubuntu jammy amd64 (20240131_0412)'},
    created_at: '2024-01-31T04:12:00Z',
    uploaded_at: '2024-02-01T10:00:00Z',
    expires_at: '1970-01-01T00:00:00Z',
    ...over,
  };
}

export function sampleImages(): FeedImage[] {
  return [
    image({
      fingerprint: hex('old1'),
      version: '20231201_0000',
      created_at: '2023-12-01T00:00:00Z',
      files: [file('metadata', 'lxd.tar.xz', 812, 'om'), file('rootfs', 'root.squashfs', 121_634_816, 'or')],
    }),
    image({
      fingerprint: hex('new1'),
      version: '20240131_0412',
      files: [file('metadata', 'lxd.tar.xz', 836, 'nm'), file('rootfs', 'root.squashfs', 130_002_944, 'nr')],
    }),
    image({
      fingerprint: hex('vm01'),
      version: '20240131_0412',
      type: 'virtual-machine',
      files: [file('metadata', 'lxd.kvm.tar.xz', 1204, 'vm'), file('rootfs', 'disk.qcow2', 331_415_552, 'vr')],
    }),
    image({
      fingerprint: hex('evil'),
      product: 'evil:1.0:arm64:default',
      os: HOSTILE,
      release: '1.0',
      releaseTitle: `1.0 ${HOSTILE}`,
      arch: 'arm64',
      architecture: 'aarch64',
      variant: HOSTILE,
      version: '20240105_0900',
      aliases: [HOSTILE, "it's"],
      properties: {description: HOSTILE},
      created_at: '2024-01-05T09:00:00Z',
      files: [file('unified', `javascript:alert(3)/${HOSTILE}`, 5_300, 'ev')],
    }),
  ];
}

/**
 * A tree path of several segments (images.linuxcontainers.org's layout; img's own trees are flat,
 * feed.ts treePath), so the page's per-segment encoding is what is tested.
 */
export function inTree(image: FeedImage, f: FeedFile): string {
  const [os, release, arch, variant] = image.product.split(':') as [string, string, string, string];
  return `images/${os}/${release}/${arch}/${variant}/${image.version}/${f.name}`;
}
