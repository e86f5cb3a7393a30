/**
 * STOPGAP (dropped at merge): the html helper writes the real page on branch wt-html. Only the
 * exported signatures are meant to match; the body is the least that compiles and shows a list.
 */
import type {FeedFile, FeedImage} from './feed.js';

export interface FeedHtmlOptions {
  title?: string;
  pathOf(image: FeedImage, file: FeedFile): string;
  remoteUrl?: string;
  remoteName?: string;
  generated: string;
  indexPath?: string;
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderFeedHtml(images: readonly FeedImage[], opts: FeedHtmlOptions): string {
  const title = escape(opts.title ?? 'Images');
  const rows = images.map(
    (i) =>
      `<li>${escape(i.product)} ${escape(i.version)} ${escape(i.fingerprint.slice(0, 12))} ${i.files
        .map((f) => `<a href="${escape(opts.pathOf(i, f))}">${escape(f.name)}</a>`)
        .join(' ')}</li>`,
  );
  return `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1><ul>${rows.join('')}</ul><p>${escape(opts.generated)}</p></body></html>\n`;
}

/** Whether a request's Accept header asks for a page rather than JSON: text/html named before any JSON. */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const types = accept.split(',').map((t) => t.split(';')[0]!.trim().toLowerCase());
  const html = types.findIndex((t) => t === 'text/html' || t === 'application/xhtml+xml');
  const json = types.findIndex((t) => t === 'application/json');
  return html >= 0 && (json < 0 || html < json);
}
