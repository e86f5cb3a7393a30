/**
 * index.html of a tree, drawn from what its LXD products say (so add, remove, export and mirror
 * all show the whole tree, whoever wrote the rest of it), through html.ts.
 */
import {basename} from 'node:path';
import type {FeedImage} from './feed.js';
import {renderFeedHtml} from './html.js';
import {parseProducts} from './products.js';
import type {RenderedFeed} from './render.js';
import type {StreamImage} from './types.js';

/** A feed's image as html.ts draws it; each file's `source` is its path in the tree. */
export function pageImage(s: StreamImage, releaseTitle?: string): FeedImage {
  const [os = '', release = '', arch = '', variant = ''] = s.product.split(':');
  return {
    fingerprint: s.fingerprint,
    type: s.type,
    product: s.product,
    os: s.properties.os ?? os,
    release: s.properties.release ?? release,
    releaseTitle: releaseTitle || (s.properties.release ?? release),
    arch: s.properties.architecture ?? arch,
    architecture: s.architecture,
    variant: s.properties.variant ?? variant,
    version: s.version,
    aliases: s.productAliases,
    properties: s.properties,
    created_at: s.created_at,
    uploaded_at: s.uploaded_at,
    expires_at: s.expires_at,
    // img's content-addressed names (`<sha256>.lxd.tar.xz`) show as what the file is.
    files: s.files.map((f) => ({
      role: f.role,
      kind: 'tar',
      name: basename(f.path).replace(/^[0-9a-f]{64}\./, ''),
      size: f.size,
      sha256: f.sha256,
      source: f.path,
    })),
  };
}

export function treePage(_images: readonly FeedImage[], feed: RenderedFeed): string {
  const lxd = feed.documents.find((d) => d.datatype === 'image-downloads' && d.path === 'streams/v1/images.json');
  const images = lxd ? parseProducts(lxd.doc).images.map((s) => pageImage(s, releaseTitleOf(lxd.doc, s.product))) : [];
  const updated = typeof feed.index.updated === 'string' ? feed.index.updated : '';
  return renderFeedHtml(images, {pathOf: (_image, file) => file.source, generated: updated, indexPath: 'streams/v1/index.json'});
}

/** A product's release_title (`22.04 LTS`), which parseProducts keeps only inside the description. */
function releaseTitleOf(doc: unknown, product: string): string | undefined {
  const p = (doc as {products?: Record<string, {release_title?: unknown}>}).products?.[product];
  return typeof p?.release_title === 'string' ? p.release_title : undefined;
}
