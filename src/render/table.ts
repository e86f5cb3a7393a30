/**
 * Tables as `lxc` draws them (olekukonko/tablewriter as LXD 5.0.2 configures it): a border line
 * after every row, headers centred, cells left-aligned, nothing wrapped; `compact` drops the
 * borders; `csv` is Go's encoding/csv without a header. Rows are sorted on their rendered cells
 * the way lxc sorts them (natural order, empty cells last).
 */
export type TableFormat = 'table' | 'compact' | 'csv';

// Wide (two-column) code points: CJK, Hangul, fullwidth forms, emoji.
const WIDE: Array<[number, number]> = [
  [0x1100, 0x115f],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe30, 0xfe4f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x1f300, 0x1f64f],
  [0x1f900, 0x1f9ff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

/** Columns a string takes in a terminal. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if ((cp >= 0x300 && cp <= 0x36f) || cp === 0x200b) continue;
    w += WIDE.some(([a, b]) => cp >= a && cp <= b) ? 2 : 1;
  }
  return w;
}

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';

/**
 * fvbommel/sortorder's NaturalLess: digit runs compare as numbers. Go walks bytes of UTF-8,
 * which orders characters by code point; so compare code points, not UTF-16 units.
 */
export function naturalLess(x: string, y: string): boolean {
  const a = Array.from(x);
  const b = Array.from(y);
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const c1 = a[i]!;
    const c2 = b[j]!;
    const d1 = isDigit(c1);
    const d2 = isDigit(c2);
    if (d1 !== d2) return d1;
    if (!d1) {
      if (c1 !== c2) return c1.codePointAt(0)! < c2.codePointAt(0)!;
      i++;
      j++;
      continue;
    }
    while (a[i] === '0') i++;
    while (b[j] === '0') j++;
    const s1 = i;
    const s2 = j;
    while (isDigit(a[i])) i++;
    while (isDigit(b[j])) j++;
    if (i - s1 !== j - s2) return i - s1 < j - s2;
    const n1 = a.slice(s1, i).join('');
    const n2 = b.slice(s2, j).join('');
    if (n1 !== n2) return n1 < n2;
    if (s1 !== s2) return s1 < s2;
  }
  return a.length - i < b.length - j;
}

/** lxc's row order: the first column that differs decides; an empty cell sorts after any other. */
export function compareRows(x: string[], y: string[]): number {
  let k = 0;
  for (k = 0; k < x.length - 1; k++) if (x[k] !== y[k]) break;
  const a = x[k] ?? '';
  const b = y[k] ?? '';
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  return naturalLess(a, b) ? -1 : 1;
}

/** Go's unicode.IsSpace (JavaScript's \s differs: it has U+FEFF, not U+0085). */
const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;

/** Go's encoding/csv: quote a field only when it must be. */
function csvField(f: string): string {
  const needs = f !== '' && (f === '\\.' || /[,"\r\n]/.test(f) || GO_SPACE.test(f));
  return needs ? `"${f.replaceAll('"', '""')}"` : f;
}

const pad = (s: string, w: number): string => s + ' '.repeat(Math.max(0, w - displayWidth(s)));
const center = (s: string, w: number): string => {
  const gap = Math.max(0, w - displayWidth(s));
  return ' '.repeat(Math.floor(gap / 2)) + s + ' '.repeat(gap - Math.floor(gap / 2));
};

/** Render rows (already sorted, or pass `sort: true`) as lxc would. Returns the text to print. */
export function renderTable(headers: string[], rows: string[][], format: TableFormat, opts: {sort?: boolean} = {}): string {
  const data = opts.sort === false ? rows : [...rows].sort(compareRows);
  if (format === 'csv') return data.map((r) => r.map(csvField).join(',') + '\n').join('');
  const widths = headers.map((h, c) => Math.max(displayWidth(h), ...data.flatMap((r) => (r[c] ?? '').split('\n').map(displayWidth))));
  const physical = (r: string[]): string[][] => {
    const cells = r.map((c) => c.split('\n'));
    const height = Math.max(1, ...cells.map((c) => c.length));
    return Array.from({length: height}, (_, line) => cells.map((c) => c[line] ?? ''));
  };
  if (format === 'compact') {
    const lines = [`  ${headers.map((h, c) => center(h, widths[c]!)).join('  ')}  `];
    for (const r of data) for (const line of physical(r)) lines.push(`  ${line.map((cell, c) => pad(cell, widths[c]!)).join('  ')}  `);
    return lines.join('\n') + '\n';
  }
  const border = `+${widths.map((w) => '-'.repeat(w + 2)).join('+')}+`;
  const lines = [border, `|${headers.map((h, c) => ` ${center(h, widths[c]!)} `).join('|')}|`, border];
  for (const r of data) {
    for (const line of physical(r)) lines.push(`|${line.map((cell, c) => ` ${pad(cell, widths[c]!)} `).join('|')}|`);
    lines.push(border);
  }
  return lines.join('\n') + '\n';
}
