/**
 * yaml.v2's resolution of plain scalars (YAML 1.1): which tag and value a scalar's text stands for
 * (booleans such as `yes` and `off`, `0x`/`0o`/`0b`/leading-zero octal ints, `_` separators,
 * timestamps). The decoder uses it to type values, the encoder to know what must be quoted.
 */
export const TAG = {
  str: '!!str',
  int: '!!int',
  float: '!!float',
  bool: '!!bool',
  null: '!!null',
  timestamp: '!!timestamp',
  map: '!!map',
  seq: '!!seq',
  merge: '!!merge',
} as const;

export type Resolved =
  | {tag: '!!str'; value: string}
  | {tag: '!!int'; value: bigint}
  | {tag: '!!float'; value: number}
  | {tag: '!!bool'; value: boolean}
  | {tag: '!!null'; value: null}
  | {tag: '!!timestamp'; value: string}
  | {tag: '!!merge'; value: string};

const BOOL_TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const BOOL_FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const SPECIAL_FLOATS: Record<string, number> = {
  '.nan': NaN,
  '.NaN': NaN,
  '.NAN': NaN,
  '.inf': Infinity,
  '.Inf': Infinity,
  '.INF': Infinity,
  '+.inf': Infinity,
  '+.Inf': Infinity,
  '+.INF': Infinity,
  '-.inf': -Infinity,
  '-.Inf': -Infinity,
  '-.INF': -Infinity,
};
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
// yaml.v2 tries these time layouts only when the text starts with four digits and a dash.
const TIMESTAMP = [
  /^\d{4}-\d{1,2}-\d{1,2}[Tt]\d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/,
  /^\d{4}-\d{1,2}-\d{1,2} \d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?$/,
  /^\d{4}-\d{1,2}-\d{1,2}$/,
];
export const INT64_MAX = 2n ** 63n - 1n;
export const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** Go's time.Parse refuses out-of-range fields (month 13, February 30, hour 25). */
function validTimestamp(text: string): boolean {
  const m = /^(\d{4})-(\d{1,2})-(\d{1,2})(?:[Tt ](\d{1,2}):(\d{1,2}):(\d{1,2}))?/.exec(text)!;
  const [y, mo, d, h = 0, mi = 0, sec = 0] = m
    .slice(1)
    .filter((x) => x !== undefined)
    .map(Number) as number[];
  if (mo! < 1 || mo! > 12 || h > 23 || mi > 59 || sec > 59) return false;
  const days = new Date(Date.UTC(y!, mo!, 0)).getUTCDate();
  return d! >= 1 && d! <= days;
}

/** Go's strconv.ParseInt/ParseUint with base 0 (sign, 0x, 0o, 0b, leading-0 octal), unbounded. */
function parseGoInt(text: string): bigint | undefined {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (!m) return undefined;
  const sign = m[1] === '-' ? -1n : 1n;
  let digits = m[2]!;
  if (/^0[0-7]+$/.test(digits)) digits = '0o' + digits.slice(1);
  else if (/^0[oO]/.test(digits)) digits = '0o' + digits.slice(2);
  return sign * BigInt(digits);
}

/** yaml.v2's resolve() for a plain scalar: which tag and value its text stands for. */
export function resolvePlain(text: string): Resolved {
  if (BOOL_TRUE.has(text)) return {tag: TAG.bool, value: true};
  if (BOOL_FALSE.has(text)) return {tag: TAG.bool, value: false};
  if (NULLS.has(text)) return {tag: TAG.null, value: null};
  if (text === '<<') return {tag: TAG.merge, value: text};
  if (text in SPECIAL_FLOATS) return {tag: TAG.float, value: SPECIAL_FLOATS[text]!};
  const first = text[0]!;
  if (first === '.') {
    const f = Number(text);
    if (YAML_STYLE_FLOAT.test(text) && !Number.isNaN(f)) return {tag: TAG.float, value: f};
    return {tag: TAG.str, value: text};
  }
  if (!/[-+0-9]/.test(first)) return {tag: TAG.str, value: text};
  if (/^\d{4}-/.test(text) && TIMESTAMP.some((re) => re.test(text)) && validTimestamp(text)) return {tag: TAG.timestamp, value: text};
  const plain = text.replaceAll('_', '');
  const i = parseGoInt(plain);
  // ParseInt, then ParseUint: anything in [MinInt64, MaxUint64] is an !!int.
  if (i !== undefined && i >= INT64_MIN && i <= UINT64_MAX) return {tag: TAG.int, value: i};
  if (YAML_STYLE_FLOAT.test(plain)) return {tag: TAG.float, value: Number(plain)};
  return {tag: TAG.str, value: text};
}
