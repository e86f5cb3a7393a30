import type {ImageView} from './types.js';

/** lxc's dotPrefixMatch: `rel` matches `release`, `user.f` matches `user.foo`, segment by segment. */
function dotPrefixMatch(short: string, full: string): boolean {
  const f = full.split('.');
  const s = short.split('.');
  return f.length === s.length && f.every((m, i) => m.startsWith(s[i]!));
}

/** `value` as lxc reads it: an anchored regular expression unless it carries ^ or $; plain text if it does not compile. */
function valueMatches(pattern: string, value: string): boolean {
  const re = pattern.includes('^') || pattern.includes('$') ? pattern : `^${pattern}$`;
  try {
    return goRegExp(re).test(value);
  } catch {
    return pattern === value;
  }
}

/**
 * A JavaScript RegExp for a Go (RE2) pattern. The syntaxes agree on what filters use; RE2's
 * inline flags do not exist in JavaScript, so a `(?i)`, `(?s)` or `(?m)` group becomes flags
 * (lxc users write `os=(?i)ubuntu`).
 */
function goRegExp(pattern: string): RegExp {
  let flags = '';
  const body = pattern.replace(/\(\?([ims]+)\)/g, (_, f: string) => {
    for (const c of f) if (!flags.includes(c)) flags += c;
    return '';
  });
  return new RegExp(body, flags);
}

/** Top-level image fields a `key=value` filter may name (compared as text, e.g. public=true). */
function fieldValue(image: ImageView, key: string): string | undefined {
  switch (key) {
    case 'architecture':
    case 'type':
    case 'fingerprint':
    case 'filename':
      return image[key];
    case 'public':
    case 'cached':
    case 'auto_update':
      return String(image[key]);
    case 'size':
      return String(image.size);
    default:
      return undefined;
  }
}

/**
 * `img image list` filters, all of which must match (as lxc): a bare word is a substring of an
 * alias or of the fingerprint; `key=value` matches a property (key by dotted prefix, value as an
 * anchored regexp) or a top-level field such as architecture, type, public or cached.
 */
export function imageMatches(image: ImageView, filters: string[]): boolean {
  return filters.every((filter) => {
    const eq = filter.indexOf('=');
    if (eq < 0) return image.aliases.some((a) => a.name.includes(filter)) || image.fingerprint.includes(filter);
    const key = filter.slice(0, eq);
    const value = filter.slice(eq + 1);
    if (fieldValue(image, key) === value) return true;
    return Object.entries(image.properties).some(([k, v]) => dotPrefixMatch(key, k) && valueMatches(value, v));
  });
}
