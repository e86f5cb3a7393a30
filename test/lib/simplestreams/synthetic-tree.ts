// Small simplestreams trees written by hand for the tree tools (list, verify, prune, mirror):
// LXD-shaped products whose files are a few seeded bytes each (no real image is needed to check
// sizes, digests and what is kept), and the real-world fixtures copied into a tree layout.
import {createHash} from 'node:crypto';
import {cpSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs';
import {dirname, join, relative} from 'node:path';
import {fileURLToPath} from 'node:url';
import {canonicalJson} from '../../../src/lib/simplestreams/canonical.js';
import type {BlobStore} from '../../../src/lib/storage/index.js';

/** The real feeds copied into the project (test/fixtures/feeds/ORIGIN.md says from where). */
export const REAL_FEEDS = fileURLToPath(new URL('../../fixtures/feeds', import.meta.url));

export interface SyntheticProduct {
  os: string;
  release: string;
  arch: string;
  versions: string[];
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

function write(dir: string, path: string, data: string | Buffer): void {
  mkdirSync(dirname(join(dir, path)), {recursive: true});
  writeFileSync(join(dir, path), data);
}

/** An LXD tree: each version a metadata tarball and a squashfs (a few bytes each), with the combined hash LXD reads. */
export function syntheticTree(dir: string, products: SyntheticProduct[]): Record<string, unknown> {
  const doc: Record<string, unknown> = {content_id: 'images', datatype: 'image-downloads', format: 'products:1.0', updated: 'Mon, 01 Jan 2024 00:00:00 +0000'};
  const out: Record<string, unknown> = {};
  for (const p of products) {
    const name = `${p.os.toLowerCase()}:${p.release}:${p.arch}:default`;
    const versions: Record<string, unknown> = {};
    for (const v of p.versions) {
      const base = `images/${p.os.toLowerCase()}/${p.release}/${p.arch}/default/${v}`;
      const meta = Buffer.from(`metadata of ${name} ${v}\n`);
      const root = Buffer.from(`squashfs of ${name} ${v}\n`.repeat(10));
      write(dir, `${base}/lxd.tar.xz`, meta);
      write(dir, `${base}/root.squashfs`, root);
      versions[v] = {
        items: {
          'lxd.tar.xz': {
            ftype: 'lxd.tar.xz',
            path: `${base}/lxd.tar.xz`,
            size: meta.length,
            sha256: sha256(meta),
            combined_squashfs_sha256: sha256(Buffer.concat([meta, root])),
          },
          'root.squashfs': {ftype: 'squashfs', path: `${base}/root.squashfs`, size: root.length, sha256: sha256(root)},
        },
      };
    }
    out[name] = {
      aliases: `${p.os.toLowerCase()}/${p.release}`,
      arch: p.arch,
      os: p.os,
      release: p.release,
      release_title: p.release,
      variant: 'default',
      versions,
    };
  }
  doc.products = out;
  writeStreams(dir, doc);
  return doc;
}

/** images.json, then the index naming it. */
export function writeStreams(dir: string, doc: Record<string, unknown>): void {
  write(dir, 'streams/v1/images.json', canonicalJson(doc));
  const index = {
    format: 'index:1.0',
    updated: doc.updated,
    index: {
      images: {datatype: 'image-downloads', format: 'products:1.0', path: 'streams/v1/images.json', products: Object.keys(doc.products as object).sort()},
    },
  };
  write(dir, 'streams/v1/index.json', canonicalJson(index));
}

/** python simplestreams' own minimal example, in a tree layout: payloads under product1/. */
export function minimalExample(dir: string): void {
  const from = join(REAL_FEEDS, 'simplestreams-examples/minimal');
  write(dir, 'streams/v1/index.json', readFileSync(join(from, 'index.json')));
  write(dir, 'streams/v1/download.json', readFileSync(join(from, 'download.json')));
  cpSync(join(from, 'product1'), join(dir, 'product1'), {recursive: true});
}

/** The eumel8 image-ids stream (no files), the cirros download streams (files absent) and the Incus feed, one tree each. */
export function realFeedTree(dir: string, which: 'eumel8-image-ids' | 'kriszos-incus-feed' | 'cirros'): void {
  const from = which === 'cirros' ? join(REAL_FEEDS, 'simplestreams-examples/cirros') : join(REAL_FEEDS, which);
  for (const name of readdirSync(from)) write(dir, `streams/v1/${name}`, readFileSync(join(from, name)));
}

/** Every file of a tree with its bytes and mtime: what "changes nothing" is checked against. */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.set(relative(dir, p), `${sha256(readFileSync(p))} ${st.mtimeMs}`);
    }
  };
  walk(dir);
  return out;
}

/** A BlobStore that records the order of writes and deletes. */
export function recording(inner: BlobStore): {blobs: BlobStore; log: string[]} {
  const log: string[] = [];
  const blobs: BlobStore = {
    put: (key, data, opts) => (log.push(`put ${key}`), inner.put(key, data, opts)),
    get: (key, range) => inner.get(key, range),
    stat: (key) => inner.stat(key),
    list: (prefix) => inner.list(prefix),
    delete: (key) => (log.push(`delete ${key}`), inner.delete(key)),
  };
  return {blobs, log};
}
