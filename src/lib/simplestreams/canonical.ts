/**
 * How python simplestreams writes its documents (../shared/spec/simplestreams.md §6.1), so that
 * img's files byte-match what its tooling writes and re-writing unchanged data changes no byte:
 * `json.dumps(data, indent=1, sort_keys=True, separators=(',', ': '))`, UTF-8, no final newline,
 * and its `updated` timestamps.
 */

/**
 * Python's json.dumps with those arguments. Keys sort by code point, as Python's sort of str
 * does (JavaScript's default sort compares UTF-16 units, which differs past the BMP); non-ASCII
 * is escaped as \uXXXX, as ensure_ascii (the default) does.
 */
export function canonicalJson(value: unknown): string {
  return write(value, '');
}

/**
 * Text already in canonical form, written as it is: the export cache (export-cache.ts) keeps each
 * product's text and puts a document together from them without walking 10,000 products again.
 */
export class CanonicalText {
  constructor(readonly text: string) {}
}

/** canonicalJson of a value that will sit at this indent in its document (a product: two spaces). */
export function canonicalJsonAt(value: unknown, indent: string): string {
  return write(value, indent);
}

function write(value: unknown, indent: string): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof CanonicalText) return value.text;
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} has no JSON form`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  const inner = indent + ' ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    return `[\n${value.map((v) => inner + write(v, inner)).join(',\n')}\n${indent}]`;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    entries.sort(([a], [b]) => byCodePoint(a, b));
    return `{\n${entries.map(([k, v]) => `${inner}${quote(k)}: ${write(v, inner)}`).join(',\n')}\n${indent}}`;
  }
  throw new TypeError(`canonicalJson: a ${typeof value} has no JSON form`);
}

/**
 * Code point order without splitting strings into code points (a 10,000-product document sorts
 * ~300,000 keys): UTF-16 order differs from it only where a surrogate meets a unit of
 * U+E000–U+FFFF, so those are shifted past each other at the first unit that differs.
 */
function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return fixup(x) - fixup(y);
  }
  return a.length - b.length;
}

const fixup = (unit: number): number => (unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit);

const ESCAPES: Readonly<Record<string, string>> = {'"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f'};

// eslint-disable-next-line no-control-regex
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\uffff]/;

function quote(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  // eslint-disable-next-line no-control-regex
  return `"${s.replace(/["\\\u0000-\u001f\u007f-\uffff]/g, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** An RFC 3339 time as simplestreams' `updated`: `%a, %d %b %Y %H:%M:%S +0000` in UTC. */
export function streamsDate(rfc3339: string): string {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) throw new TypeError(`streamsDate: not a time: ${rfc3339}`);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]}, ${p(d.getUTCDate())} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}
