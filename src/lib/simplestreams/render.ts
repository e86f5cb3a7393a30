/**
 * FeedImages through the chosen flavours into the documents of one tree: the products files and
 * the index that names them. Pure; tree.ts writes the result, img serve answers with it.
 */
import {UserError} from '../errors.js';
import {canonicalJson} from './canonical.js';
import type {FeedImage} from './feed.js';
import {treeItems, type TreeFile} from './tree.js';
import type {FeedDocument, Flavor, FlavorContext} from './flavors/flavor.js';
import {lxdFlavor} from './flavors/lxd.js';
import {maasFlavor} from './flavors/maas.js';
import {openstackFlavor} from './flavors/openstack.js';

export type {FeedDocument, Flavor, FlavorContext} from './flavors/flavor.js';

/** Every flavour img writes, by its --flavor name. */
export const FLAVORS: ReadonlyMap<string, Flavor> = new Map([lxdFlavor, openstackFlavor, maasFlavor].map((f) => [f.name, f]));

export function flavorsNamed(names: readonly string[]): Flavor[] {
  return [...new Set(names)].map((name) => {
    const flavor = FLAVORS.get(name);
    if (!flavor) throw new UserError(`unknown flavor "${name}"`, {code: 'Usage', hint: `Give one of: ${[...FLAVORS.keys()].join(', ')}.`});
    return flavor;
  });
}

export interface Refusal {
  fingerprint: string;
  flavor: string;
  reason: string;
}

export interface RenderedFeed {
  documents: FeedDocument[];
  /** The index (index:1.0) naming every document. */
  index: Record<string, unknown>;
  /** Images a flavour could not express, left out of its documents. */
  refused: Refusal[];
}

export function renderFeed(images: readonly FeedImage[], flavors: readonly Flavor[], ctx: FlavorContext): RenderedFeed {
  const refused: Refusal[] = [];
  const documents: FeedDocument[] = [];
  for (const flavor of flavors) {
    const fit = images.filter((image) => {
      const reason = flavor.refuse(image);
      if (reason !== undefined) refused.push({fingerprint: image.fingerprint, flavor: flavor.name, reason});
      return reason === undefined;
    });
    documents.push(...flavor.documents(fit, ctx));
  }
  return {documents, index: indexOf(documents, ctx.updated), refused};
}

/** The index document of these products files. */
export function indexOf(documents: readonly FeedDocument[], updated: string): Record<string, unknown> {
  const index: Record<string, unknown> = {};
  for (const d of documents) {
    index[d.contentId] = {
      datatype: d.datatype,
      format: 'products:1.0',
      path: d.path,
      products: Object.keys((d.doc.products as Record<string, unknown> | undefined) ?? {}).sort(),
      updated: (d.doc.updated as string | undefined) ?? updated,
    };
  }
  return {format: 'index:1.0', index, updated};
}

/** A document's bytes as simplestreams writes them. */
export const documentText = (doc: unknown): string => canonicalJson(doc);

/**
 * The files the documents name, each at every path an item gives it (a flavour may name the same
 * bytes otherwise: MAAS finds a root tarball by its file name), and only those: an image every
 * flavour refused has none in the tree.
 */
export function namedFiles(documents: readonly FeedDocument[], images: readonly FeedImage[]): TreeFile[] {
  const bySha = new Map<string, FeedImage['files'][number]>(images.flatMap((image) => image.files.map((f) => [`${f.sha256}/${f.size}`, f])));
  const files = new Map<string, TreeFile>();
  for (const item of documents.flatMap((d) => treeItems(d.doc))) {
    const f = bySha.get(`${item.sha256}/${item.size}`);
    if (f && !files.has(item.path)) files.set(item.path, {key: item.path, size: f.size, sha256: f.sha256, source: f.source});
  }
  return [...files.values()];
}
