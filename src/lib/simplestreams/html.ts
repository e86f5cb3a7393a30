/**
 * The page for people beside a feed: a static tree's index.html (`--html`) and what `img serve`
 * answers a browser at `/`. One self-contained HTML5 document: no JavaScript, no fetches (inline
 * CSS, light and dark), readable on a phone. Every value in it comes from image metadata, which
 * strangers write, so every one is escaped and every link is a relative path of encoded segments.
 */
import type {FeedFile, FeedImage} from './feed.js';
import {CSS} from './html-style.js';
import {safeItemPath} from './products.js';
import {isUnset} from '../time.js';

export {prefersHtml} from './accept.js';

export interface FeedHtmlOptions {
  title?: string;
  /** Where a file is, relative to the page (`images/…` in a tree, `files/<fp>/<name>` under serve). */
  pathOf(image: FeedImage, file: FeedFile): string;
  /** The URL clients add as a remote; without it the page says to use the URL it is served from. */
  remoteUrl?: string;
  /** The remote name the examples use. */
  remoteName?: string;
  /** When the feed was last updated (RFC 3339): taken from the data, so an unchanged tree gives the same page. */
  generated: string;
  /** The simplestreams index, relative to the page, when it is beside it. */
  indexPath?: string;
}

const ESCAPES: Readonly<Record<string, string>> = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;'};

/** Text made safe for element content and quoted attribute values alike. */
export function escapeHtml(s: string): string {
  return String(s).replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

const UNITS = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** Bytes as LXD's IEC helper prints them (`512B`, `1.50KiB`, `2.77MiB`): two decimals, powers of 1024. */
export function humanSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Number.isFinite(bytes) ? Math.max(0, Math.trunc(bytes)) : 0}B`;
  let value = bytes;
  let unit = 'B';
  for (const u of UNITS) {
    if (value < 1024) break;
    value /= 1024;
    unit = u;
  }
  return `${value.toFixed(2)}${unit}`;
}

/** A link target for a file, or undefined when the path could leave the page's directory. */
function hrefOf(path: string): string | undefined {
  if (!safeItemPath(path)) return undefined;
  // Encoding each segment also turns any ':' into %3A, so no segment can be read as a scheme.
  return path.split('/').map(encodeURIComponent).join('/');
}

const PLAIN_WORD = /^[\w@%+=:,./-]+$/;

/** A word as a POSIX shell reads it: quoted when it holds anything but plain characters. */
function shellWord(s: string): string {
  return PLAIN_WORD.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A time as RFC 3339 UTC, whether given so or as simplestreams' RFC 2822 `updated`; undefined when unreadable. */
function isoTime(text: string): string | undefined {
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$/.test(text)) return text;
  const t = Date.parse(text);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString().replace(/\.000Z$/, 'Z');
}

/** A `<time>` reading `2024-01-31 12:34 UTC`, or `2024-01-31` for a feed's bare dates (midnight). */
function timeHtml(text: string): string {
  const iso = isoTime(text);
  if (iso === undefined) return escapeHtml(text);
  const [, day, hm, rest] = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(.*)$/.exec(iso)!;
  const shown = hm === '00:00' && /^(:00(\.0+)?)?Z$/.test(rest!) ? day : `${day} ${hm} UTC`;
  return `<time datetime="${escapeHtml(iso)}">${shown}</time>`;
}

const typeLabel = (t: string): string => (t === 'virtual-machine' ? 'VM' : t === 'container' ? 'container' : t);

interface Product {
  id: string;
  anchor: string;
  /** Newest first. */
  versions: FeedImage[];
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function groupProducts(images: readonly FeedImage[]): Product[] {
  const byId = new Map<string, FeedImage[]>();
  for (const image of images) {
    const list = byId.get(image.product) ?? [];
    list.push(image);
    byId.set(image.product, list);
  }
  const anchors = new Set<string>();
  return [...byId.entries()]
    .sort(([a], [b]) => cmp(a, b))
    .map(([id, list]) => {
      const base = `product-${id.replace(/[^A-Za-z0-9_.-]+/g, '-')}`;
      let anchor = base;
      for (let n = 2; anchors.has(anchor); n++) anchor = `${base}-${n}`;
      anchors.add(anchor);
      const versions = [...list].sort((a, b) => cmp(b.version, a.version) || cmp(a.type, b.type) || cmp(a.fingerprint, b.fingerprint));
      return {id, anchor, versions};
    });
}

function fingerprintHtml(fp: string): string {
  return `<code class="fp" title="${escapeHtml(fp)}"><b>${escapeHtml(fp.slice(0, 12))}</b>${escapeHtml(fp.slice(12))}</code>`;
}

function fileHtml(image: FeedImage, file: FeedFile, opts: FeedHtmlOptions): string {
  const href = hrefOf(opts.pathOf(image, file));
  const name = escapeHtml(file.name);
  const link = href === undefined ? `<span class="name">${name}</span>` : `<a class="name" href="${escapeHtml(href)}" download>${name}</a>`;
  const size = `<span class="size" title="${file.size} bytes">${humanSize(file.size)}</span>`;
  return `<li>${link} ${size}<br><code class="sum" title="SHA-256 of ${name}">${escapeHtml(file.sha256)}</code></li>`;
}

function versionRow(image: FeedImage, opts: FeedHtmlOptions): string {
  const at = !isUnset(image.created_at) ? image.created_at : !isUnset(image.uploaded_at) ? image.uploaded_at : '';
  const date = at ? `<br>${timeHtml(at)}` : '';
  const total = image.files.reduce((n, f) => n + f.size, 0);
  return [
    '<tr>',
    `<th scope="row" data-label="Version"><span class="version">${escapeHtml(image.version)}</span>${date}</th>`,
    `<td data-label="Type"><span class="badge ${image.type === 'virtual-machine' ? 'vm' : 'ct'}">${escapeHtml(typeLabel(image.type))}</span></td>`,
    `<td data-label="Size"><span title="${total} bytes">${humanSize(total)}</span></td>`,
    `<td data-label="Fingerprint">${fingerprintHtml(image.fingerprint)}</td>`,
    `<td data-label="Files"><ul class="files">${image.files.map((f) => fileHtml(image, f, opts)).join('')}</ul></td>`,
    '</tr>',
  ].join('');
}

function productHtml(p: Product, opts: FeedHtmlOptions): string {
  const newest = p.versions[0]!;
  const heading = [newest.os, newest.releaseTitle || newest.release].filter((s) => s !== '').join(' ') || p.id;
  const types = [...new Set(p.versions.map((v) => v.type))].sort();
  const chips = [
    `<span class="badge arch">${escapeHtml(newest.arch)}</span>`,
    newest.variant ? `<span class="badge">${escapeHtml(newest.variant)}</span>` : '',
    ...types.map((t) => `<span class="badge ${t === 'virtual-machine' ? 'vm' : 'ct'}">${escapeHtml(typeLabel(t))}</span>`),
  ].join(' ');
  const description = newest.properties.description ? `<p class="description">${escapeHtml(newest.properties.description)}</p>` : '';
  const aliases =
    newest.aliases.length > 0 ? `<dt>Aliases</dt><dd>${newest.aliases.map((a) => `<code class="alias">${escapeHtml(a)}</code>`).join(' ')}</dd>` : '';
  const count = `${p.versions.length} version${p.versions.length === 1 ? '' : 's'}`;
  return [
    `<section class="product" id="${escapeHtml(p.anchor)}" aria-labelledby="${escapeHtml(p.anchor)}-h">`,
    `<header><h2 id="${escapeHtml(p.anchor)}-h">${escapeHtml(heading)} <span class="chips">${chips}</span></h2>${description}`,
    `<dl class="meta"><dt>Product</dt><dd><code>${escapeHtml(p.id)}</code></dd>${aliases}</dl></header>`,
    '<div class="scroll"><table>',
    `<caption>${count} of <code>${escapeHtml(p.id)}</code>, newest first</caption>`,
    '<thead><tr><th scope="col">Version</th><th scope="col">Type</th><th scope="col">Size</th><th scope="col">Fingerprint</th><th scope="col">Files</th></tr></thead>',
    `<tbody>${p.versions.map((v) => versionRow(v, opts)).join('')}</tbody>`,
    '</table></div></section>',
  ].join('\n');
}

/** The first alias that needs no shell quoting (else a short fingerprint) to show in the launch example. */
function exampleTarget(products: readonly Product[]): {name: string; vm: boolean} | undefined {
  for (const p of products) {
    const newest = p.versions[0]!;
    const alias = newest.aliases.find((a) => PLAIN_WORD.test(a));
    if (alias !== undefined) return {name: alias, vm: newest.type === 'virtual-machine'};
  }
  const first = products[0]?.versions[0];
  return first && {name: first.fingerprint.slice(0, 12), vm: first.type === 'virtual-machine'};
}

function usageHtml(products: readonly Product[], opts: FeedHtmlOptions): string {
  const name = opts.remoteName ?? 'img';
  const remote = escapeHtml(shellWord(name));
  const url = opts.remoteUrl === undefined ? '<var>URL</var>' : escapeHtml(shellWord(opts.remoteUrl));
  const target = exampleTarget(products);
  const lines = [`lxc remote add ${remote} ${url} --protocol simplestreams --public`, `lxc image list ${remote}:`];
  if (target) lines.push(`lxc launch ${escapeHtml(shellWord(`${name}:${target.name}`))}${target.vm ? ' --vm' : ''}`);
  const hint =
    opts.remoteUrl === undefined
      ? '<p>Replace <var>URL</var> with the address this page is served from, without <code>index.html</code>. LXD adds simplestreams remotes over <code>https://</code> only.</p>'
      : '';
  return [
    '<section class="usage" aria-labelledby="usage-h"><h2 id="usage-h">Use these images</h2>',
    hint,
    `<p>With LXD or Incus (<code>incus</code> takes the same arguments):</p><pre><code>${lines.join('\n')}</code></pre>`,
    `<p>With img:</p><pre><code>img remote add ${remote} ${url} --protocol simplestreams\nimg image list ${remote}:</code></pre>`,
    '</section>',
  ].join('\n');
}

/** The page for a feed's images. Deterministic: the same images and options give the same bytes. */
export function renderFeedHtml(images: readonly FeedImage[], opts: FeedHtmlOptions): string {
  const title = opts.title ?? 'Images';
  const products = groupProducts(images);
  const bytes = images.reduce((n, i) => n + i.files.reduce((m, f) => m + f.size, 0), 0);
  const summary =
    images.length === 0
      ? ''
      : `${products.length} product${products.length === 1 ? '' : 's'}, ${images.length} image${images.length === 1 ? '' : 's'}, ${humanSize(bytes)}`;
  const updated = opts.generated ? `Updated ${timeHtml(opts.generated)}` : '';
  const facts = [summary, updated].filter((s) => s !== '').join(' · ');
  const index = opts.indexPath === undefined ? undefined : hrefOf(opts.indexPath);
  const nav =
    products.length > 1
      ? `<nav aria-label="Products"><ul class="toc">${products.map((p) => `<li><a href="#${escapeHtml(p.anchor)}"><code>${escapeHtml(p.id)}</code></a></li>`).join('')}</ul></nav>`
      : '';
  const body = products.length === 0 ? '<p class="empty">There are no public images here yet.</p>' : products.map((p) => productHtml(p, opts)).join('\n');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="light dark">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; base-uri 'none'; form-action 'none'">`,
    '<meta name="referrer" content="no-referrer">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<header class="top"><div class="wrap"><h1>${escapeHtml(title)}</h1><p class="facts">Simplestreams images for LXD and Incus${facts ? ` · ${facts}` : ''}</p></div></header>`,
    '<main class="wrap">',
    usageHtml(products, opts),
    nav,
    body,
    '</main>',
    `<footer class="wrap"><p>Written by img${index === undefined ? '' : ` · feed index: <a href="${escapeHtml(index)}">${escapeHtml(opts.indexPath!)}</a>`}</p></footer>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
