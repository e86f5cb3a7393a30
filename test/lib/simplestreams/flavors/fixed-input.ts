// The fixed input of the flavour fixtures (test/fixtures/simplestreams/flavors/): store records
// covering what each flavour writes and what it refuses, rendered as `img simplestreams export`
// renders them. scripts/regen-flavor-fixtures.ts writes the fixtures from it; flavors.test.ts
// compares. Changing a record here means regenerating the fixtures.
import type {ImageFile, ImageView} from '../../../../src/lib/image/types.js';
import {streamsDate} from '../../../../src/lib/simplestreams/canonical.js';
import {feedImages, newestUpload, treePath, type FeedImage} from '../../../../src/lib/simplestreams/feed.js';
import {FLAVORS, renderFeed, type RenderedFeed} from '../../../../src/lib/simplestreams/render.js';
import {alias, view} from '../../../helpers/views.js';

const hex = (c: string, n: number): string => c.repeat(n).slice(0, n);

function file(role: ImageFile['role'], kind: ImageFile['kind'], compression: ImageFile['compression'], size: number, c: string): ImageFile {
  const extension = kind === 'squashfs' ? '.squashfs' : kind === 'qcow2' ? '.qcow2' : '.tar.xz';
  return {role, kind, compression, extension, size, sha256: hex(c, 64), md5: hex(c, 32)};
}

const meta = (c: string): ImageFile => file('metadata', 'tar', 'xz', 700, c);
const fp = (c: string): string => hex(c, 64);
const UBUNTU = {os: 'Ubuntu', release: 'jammy', release_title: '22.04 LTS', version: '22.04', variant: 'cloud'};
const IDS = {
  'openstack.image_id': '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0',
  'openstack.region': 'RegionOne',
  'openstack.endpoint': 'https://keystone.example.org:5000/v3',
};

/** Public images of one store, newest uploads last. */
export const FIXED_VIEWS: readonly ImageView[] = [
  view({
    fingerprint: fp('1'),
    type: 'virtual-machine',
    properties: {...UBUNTU, serial: '20240201'},
    uploaded_at: '2024-02-01T10:00:00Z',
    files: [meta('a'), file('rootfs', 'qcow2', 'none', 3_000_000, 'b')],
  }),
  view({
    fingerprint: fp('2'),
    type: 'virtual-machine',
    properties: {...UBUNTU, serial: '20240301', ...IDS, 'openstack.crsn': 'example-RegionOne'},
    uploaded_at: '2024-03-01T10:00:00Z',
    expires_at: '2027-04-21T00:00:00Z',
    aliases: alias('ubuntu/22.04/cloud', 'ubuntu/jammy/cloud'),
    files: [meta('c'), file('rootfs', 'qcow2', 'none', 3_100_000, 'd')],
  }),
  // The container build of the same version: LXD puts both roots in one version; OpenStack and MAAS refuse it.
  view({
    fingerprint: fp('3'),
    properties: {...UBUNTU, serial: '20240301'},
    uploaded_at: '2024-03-01T10:05:00Z',
    aliases: alias('ubuntu/22.04/cloud'),
    files: [meta('c'), file('rootfs', 'squashfs', 'none', 120_000, 'e')],
  }),
  view({
    fingerprint: fp('4'),
    architecture: 'aarch64',
    properties: {os: 'Debian', release: 'bookworm', release_title: '12', serial: '20240305_0524'},
    uploaded_at: '2024-03-05T05:30:00Z',
    aliases: alias('debian/12/arm64'),
    files: [meta('f'), file('rootfs', 'tar', 'xz', 90_000, '5')],
  }),
  view({
    fingerprint: fp('6'),
    properties: {os: 'Alpine', release: '3.19', variant: 'tiny', serial: '20240306_0000'},
    uploaded_at: '2024-03-06T00:10:00Z',
    files: [meta('7'), file('rootfs', 'tar', 'gzip', 3_000, '8')],
  }),
  view({
    fingerprint: fp('9'),
    properties: {os: 'Tinyos', release: '1.0', serial: '20240307'},
    uploaded_at: '2024-03-07T00:00:00Z',
    files: [file('unified', 'tar', 'xz', 50_000, '9')],
  }),
  view({
    fingerprint: fp('0'),
    properties: {os: 'Archlinux', release: 'current', serial: '20240308'},
    uploaded_at: '2024-03-08T00:00:00Z',
    files: [meta('0'), file('rootfs', 'tar', 'zstd', 80_000, '0')],
  }),
  view({
    fingerprint: hex('ab', 64),
    type: 'virtual-machine',
    properties: {os: 'Fedora', release: '39', serial: '20240309', 'openstack.image_id': 'only-an-id'},
    uploaded_at: '2024-03-09T00:00:00Z',
    files: [meta('ab'), file('rootfs', 'qcow2', 'none', 4_000_000, 'cd')],
  }),
].map((v) => ({...v, public: true}));

export const fixedImages = (): FeedImage[] => feedImages(FIXED_VIEWS, (f, role) => `/nonexistent/${f}/${role}`);

/** The fixed input in every flavour, as export renders it. */
export function fixedFeed(): RenderedFeed {
  const images = fixedImages();
  return renderFeed(images, [...FLAVORS.values()], {updated: streamsDate(newestUpload(images)), pathOf: treePath});
}

/** The fixture file of each document: its products path's file name, `index.json` for the index. */
export const fixtureName = (path: string): string => path.replace(/^streams\/v1\//, '');
