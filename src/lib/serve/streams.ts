/**
 * The store as a simplestreams feed (LXD flavour): `/streams/v1/index.json` and `images.json`,
 * their `.sjson` and `.json.gpg` when signing, and the item files under `/files/<fp>/<name>`.
 * Documents are rendered once per catalog generation and signed at most once per generation,
 * on first request; their bytes are what `img simplestreams export` writes for the same images.
 */
import {streamsDate} from '../simplestreams/canonical.js';
import {newestUpload, type FeedFile, type FeedImage} from '../simplestreams/feed.js';
import {lxdFlavor} from '../simplestreams/flavors/lxd.js';
import {documentText, renderFeed} from '../simplestreams/render.js';
import {detachedName, INDEX, signedIndexText, signedName} from '../simplestreams/tree.js';
import type {Signer} from '../sign/signer.js';
import {etagOf} from './respond.js';
import type {Catalog, Route} from './types.js';

/** Where an image file is served, relative to the root: what the feed's items name. */
export const filePathOf = (image: Pick<FeedImage, 'fingerprint'>, file: Pick<FeedFile, 'name'>): string => `files/${image.fingerprint}/${file.name}`;

interface Doc {
  /** Produces the bytes on first request (signing is slow: only what is asked for is made). */
  make: () => Promise<string> | string;
  type: string;
  made?: Promise<{body: Buffer; etag: string}>;
}

interface Generation {
  id: string;
  docs: Map<string, Doc>;
  files: Map<string, {image: FeedImage; file: FeedFile}>;
}

const JSON_TYPE = 'application/json';

function generationOf(catalog: Catalog, signer: Signer | undefined): Generation {
  const feed = renderFeed(catalog.feed, [lxdFlavor], {updated: streamsDate(newestUpload(catalog.feed)), pathOf: filePathOf});
  const docs = new Map<string, Doc>();
  const add = (path: string, text: string, signedText: string): void => {
    docs.set(`/${path}`, {make: () => text, type: JSON_TYPE});
    if (!signer) return;
    docs.set(`/${signedName(path)}`, {make: () => signer.clearsign(signedText), type: 'text/plain; charset=utf-8'});
    docs.set(`/${detachedName(path)}`, {make: () => signer.detach(Buffer.from(text)), type: 'application/pgp-signature'});
  };
  for (const d of feed.documents) {
    const text = documentText(d.doc);
    add(d.path, text, text);
  }
  const index = documentText(feed.index);
  add(INDEX, index, signedIndexText(index));
  const files = new Map<string, {image: FeedImage; file: FeedFile}>();
  for (const image of catalog.feed) for (const file of image.files) files.set(`/${filePathOf(image, file)}`, {image, file});
  return {id: catalog.generation, docs, files};
}

/** The simplestreams route; with a signer, the signed documents too. */
export function streamsRoute(signer?: Signer): Route {
  let current: Generation | undefined;
  return async (r) => {
    if (!r.path.startsWith('/streams/') && !r.path.startsWith('/files/')) return false;
    if (current?.id !== r.catalog.generation) current = generationOf(r.catalog, signer);
    const gen = current;
    const doc = gen.docs.get(r.path);
    if (doc) {
      if (!doc.made) {
        const made = Promise.resolve(doc.make()).then((text) => {
          const body = Buffer.from(text);
          return {body, etag: etagOf(body)};
        });
        // A failed signing is not kept: the next request tries again.
        made.catch(() => (doc.made = undefined));
        doc.made = made;
      }
      const {body, etag} = await doc.made;
      r.text(200, body, doc.type, {etag});
      return true;
    }
    const hit = gen.files.get(r.path);
    if (!hit) return false;
    await r.file(r.catalog.filePath(hit.image.fingerprint, hit.file.role), {size: hit.file.size, etag: `"${hit.file.sha256}"`});
    return true;
  };
}
