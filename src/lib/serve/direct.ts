/**
 * LXD's direct-URL import (../shared/spec/lxd-images.md §6): `HEAD /img/<alias or fingerprint>`
 * answers with `LXD-Image-Hash` and `LXD-Image-URL` (where the same file is served under
 * /files/), which is what `lxc image import https://…` and `img image import <URL>` ask. The
 * protocol carries one file, so only unified images can be named; a GET also sends that file, so
 * the same link works with curl or a browser.
 */
import {filePathOf} from './streams.js';
import type {Route} from './types.js';

export const directRoute: Route = async (r) => {
  if (!r.path.startsWith('/img/')) return false;
  const name = r.path.slice('/img/'.length);
  const alias = r.catalog.aliases.find((a) => a.name === name);
  const view = r.catalog.find(alias?.target ?? name);
  const image = view && r.catalog.feed.find((i) => i.fingerprint === view.fingerprint);
  if (!view || !image) return false;
  const unified = image.files.length === 1 ? image.files[0] : undefined;
  if (!unified) {
    r.text(404, 'not found: direct-URL import takes unified images only (use the simplestreams or LXD remote for this one)\n', 'text/plain; charset=utf-8');
    return true;
  }
  await r.file(r.catalog.filePath(view.fingerprint, 'unified'), {
    size: unified.size,
    etag: `"${unified.sha256}"`,
    filename: `${view.fingerprint}${view.files[0]?.extension ?? '.tar'}`,
    headers: {'LXD-Image-Hash': view.fingerprint, 'LXD-Image-URL': `${r.origin}/${filePathOf(image, unified)}`},
  });
  return true;
};
