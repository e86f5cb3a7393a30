/**
 * LXD's JSON, byte for byte (../shared/spec/lxd-images.md §5.1): the envelopes, the image and
 * alias objects in the field order LXD 5.0.2 writes them, and the alias ETag as LXD derives it.
 * Go's encoder sorts map keys and escapes U+2028/U+2029 always; LXD's answers turn HTML escaping
 * off, while its ETags hash the default encoding (HTML escaping on).
 */
import {createHash} from 'node:crypto';
import {toLxdImage} from '../image/api.js';
import type {ImageView, InstanceType} from '../image/types.js';

/** A Go map's keys in Go's order (bytewise on UTF-8), for the maps JSON.stringify would leave in insertion order. */
export function goMap(map: Record<string, string>): Record<string, string> {
  const keys = Object.keys(map).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  return Object.fromEntries(keys.map((k) => [k, map[k]!]));
}

/** Go's `json.Marshal` of a value whose maps are already goMap'd; `html` as Go's SetEscapeHTML. */
export function goJson(value: unknown, html: boolean): string {
  // Escapes are rewritten in pairs, so a literal backslash before a "b" is never taken for "\b";
  // Go (1.19, LXD 5.0.2's) writes \b and \f as \u0008 and \u000c.
  const special: Record<string, string> = {'\\b': '\\u0008', '\\f': '\\u000c', '\u2028': '\\u2028', '\u2029': '\\u2029'};
  if (html) Object.assign(special, {'<': '\\u003c', '>': '\\u003e', '&': '\\u0026'});
  const pattern = html ? /\\[\\"/bfnrtu]|[\u2028\u2029<>&]/g : /\\[\\"/bfnrtu]|[\u2028\u2029]/g;
  return JSON.stringify(value).replace(pattern, (m) => special[m] ?? m);
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** An LXD sync answer (`{"type":"sync",…}` and its newline): what every successful GET of the API returns. */
export function syncBody(metadata: unknown): string {
  return goJson({type: 'sync', status: 'Success', status_code: 200, operation: '', error_code: 0, error: '', metadata}, false) + '\n';
}

/** An LXD error answer; LXD 5.0.2 writes it through Go's http.Error, hence the second newline. */
export function errorBody(code: number, message: string): string {
  return goJson({type: 'error', status: '', status_code: 0, operation: '', error_code: code, error: message, metadata: null}, false) + '\n\n';
}

/** The api.Image object an untrusted client gets: LXD's fields only, none of img's own (files, update_check). */
export function imageObject(view: ImageView): Record<string, unknown> {
  const object = toLxdImage(view);
  delete object.files;
  delete object.update_check;
  object.properties = goMap(view.properties);
  return object;
}

export interface AliasObject {
  description: string;
  target: string;
  name: string;
  type: InstanceType;
}

export function aliasObject(name: string, description: string, image: ImageView): AliasObject {
  return {description, target: image.fingerprint, name, type: image.type};
}

/**
 * LXD's alias ETag: sha256 of the alias object as Go encodes it by default. It covers the whole
 * answer, so it is a true validator. (LXD's image ETag, of `[public, auto_update, properties]`
 * only, is not: it stays when aliases change, and a 304 on it would keep a stale object. An image
 * answer's ETag is its body's hash instead; LXD's clients only echo ETags back on writes.)
 */
export function aliasEtag(alias: AliasObject): string {
  return `"${sha256(goJson(alias, true) + '\n')}"`;
}
