/**
 * The path of a request as routes see it, decoded once here and refused when it could mean
 * anything but itself: a `.` or `..` segment (plain or percent-encoded, `%2F` included), a
 * backslash, NUL or another control character, or bad percent-encoding. An encoded `/` is
 * decoded like any other byte: LXD's clients send an alias such as `ubuntu/22.04` as
 * `ubuntu%2F22.04` and LXD answers it. That is safe because no route builds a file path from the
 * request: they look whole paths up in the catalog, so `a%2Fb` can only ever mean `a/b`.
 */

export type ParsedTarget = {path: string; query: URLSearchParams} | {refused: string};

export function parseTarget(target: string): ParsedTarget {
  if (!target.startsWith('/')) return {refused: 'the request target is not a path'};
  const q = target.indexOf('?');
  const raw = q < 0 ? target : target.slice(0, q);
  const query = new URLSearchParams(q < 0 ? '' : target.slice(q + 1));
  let path: string;
  try {
    path = decodeURIComponent(raw);
  } catch {
    return {refused: 'bad percent-encoding in the path'};
  }
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f\\]/.test(path)) return {refused: 'a control character or backslash in the path'};
  if (path.split('/').some((s) => s === '.' || s === '..')) return {refused: 'a "." or ".." segment in the path'};
  return {path, query};
}
