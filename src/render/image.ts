import {UserError} from '../lib/errors.js';
import type {ImageView, UpdateCheck} from '../lib/image/types.js';
import {isUnset} from '../lib/time.js';
import {compareRows, renderTable, type TableFormat} from './table.js';

const COLUMNS: Record<string, {header: string; cell: (i: ImageView) => string}> = {
  l: {header: 'ALIAS', cell: shortestAlias},
  L: {
    header: 'ALIASES',
    cell: (i) =>
      i.aliases
        .map((a) => a.name)
        .sort()
        .join('\n'),
  },
  f: {header: 'FINGERPRINT', cell: (i) => i.fingerprint.slice(0, 12)},
  F: {header: 'FINGERPRINT', cell: (i) => i.fingerprint},
  p: {header: 'PUBLIC', cell: (i) => (i.public ? 'yes' : 'no')},
  d: {header: 'DESCRIPTION', cell: (i) => i.properties.description ?? ''},
  a: {header: 'ARCHITECTURE', cell: (i) => i.architecture},
  s: {header: 'SIZE', cell: (i) => megabytes(i.size)},
  t: {header: 'TYPE', cell: (i) => (i.type || 'container').toUpperCase()},
  u: {header: 'UPLOAD DATE', cell: (i) => uploadDate(i.uploaded_at)},
};

export const DEFAULT_COLUMNS = 'lfpdatsu';

/** lxc's ALIAS cell: the shortest alias (the first of equals), plus " (N more)". */
function shortestAlias(i: ImageView): string {
  if (i.aliases.length === 0) return '';
  let best = i.aliases[0]!.name;
  for (const a of i.aliases) if (a.name.length < best.length) best = a.name;
  return i.aliases.length > 1 ? `${best} (${i.aliases.length - 1} more)` : best;
}

/**
 * lxc's `%.2fMB` of bytes/1024/1024. Go rounds the exact binary value, and an exact half to
 * even (131072 bytes is 0.12MB), where toFixed rounds halves up; hence integer arithmetic.
 */
export function megabytes(bytes: number): string {
  const scaled = BigInt(Math.round(bytes)) * 100n;
  const mib = 1048576n;
  let hundredths = scaled / mib;
  const twice = (scaled % mib) * 2n;
  if (twice > mib || (twice === mib && hundredths % 2n === 1n)) hundredths += 1n;
  return `${hundredths / 100n}.${String(hundredths % 100n).padStart(2, '0')}MB`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's "Jan 2, 2006 at 3:04pm (MST)" in UTC. */
export function uploadDate(rfc3339: string): string {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return '';
  const h = d.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${MONTHS[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()} at ${h12}:${mm}${h < 12 ? 'am' : 'pm'} (UTC)`;
}

/** Go's "2006/01/02 15:04 UTC". */
export function infoDate(rfc3339: string): string {
  const d = new Date(rfc3339);
  if (Number.isNaN(d.getTime())) return rfc3339;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())} UTC`;
}

/** Parse lxc's column shorthand (`lfpdatsu`, commas allowed) with its error messages. */
export function parseColumns(spec: string): string[] {
  const out: string[] = [];
  for (const part of spec.split(',')) {
    if (part === '') throw new UserError(`Empty column entry (redundant, leading or trailing command) in '${spec}'`, {code: 'Usage'});
    for (const ch of part) {
      if (!COLUMNS[ch]) throw new UserError(`Unknown column shorthand char '${ch}' in '${part}'`, {code: 'Usage'});
      out.push(ch);
    }
  }
  return out;
}

export function renderImageTable(images: ImageView[], columns: string[], format: TableFormat): string {
  const rows = images.map((i) => columns.map((c) => COLUMNS[c]!.cell(i))).sort(compareRows);
  return renderTable(
    columns.map((c) => COLUMNS[c]!.header),
    rows,
    format,
    {sort: false},
  );
}

const CHECK_WORDS: Record<UpdateCheck['outcome'], string> = {
  'up-to-date': 'up to date',
  refreshed: 'refreshed',
  unreachable: 'source unreachable',
  'alias-gone': 'source alias gone',
  failed: 'failed',
};

/**
 * `lxc image info` text; with `files`, img's Files section (sizes and digests) at the end. The
 * Source section also says what the last auto-update check found and when the next is due.
 */
export function renderImageInfo(i: ImageView, opts: {files?: boolean; nextCheck?: Date} = {}): string {
  const lines = [
    `Fingerprint: ${i.fingerprint}`,
    `Size: ${megabytes(i.size)}`,
    `Architecture: ${i.architecture}`,
    `Type: ${i.type || 'container'}`,
    `Public: ${i.public ? 'yes' : 'no'}`,
    'Timestamps:',
  ];
  if (!isUnset(i.created_at)) lines.push(`    Created: ${infoDate(i.created_at)}`);
  lines.push(`    Uploaded: ${infoDate(i.uploaded_at)}`);
  lines.push(`    Expires: ${isUnset(i.expires_at) ? 'never' : infoDate(i.expires_at)}`);
  lines.push(`    Last used: ${isUnset(i.last_used_at) ? 'never' : infoDate(i.last_used_at)}`);
  lines.push('Properties:');
  for (const [k, v] of Object.entries(i.properties).sort(([a], [b]) => (a < b ? -1 : 1))) lines.push(`    ${k}: ${v}`);
  lines.push('Aliases:');
  for (const a of i.aliases) lines.push(`    - ${a.name}${a.description ? ` (${a.description})` : ''}`);
  lines.push(`Cached: ${i.cached ? 'yes' : 'no'}`);
  lines.push(`Auto update: ${i.auto_update ? 'enabled' : 'disabled'}`);
  if (i.update_source) {
    lines.push('Source:', `    Server: ${i.update_source.server}`, `    Protocol: ${i.update_source.protocol}`, `    Alias: ${i.update_source.alias}`);
    const check = i.update_check;
    if (check) lines.push(`    Last check: ${infoDate(check.at)} (${CHECK_WORDS[check.outcome]}${check.detail ? `: ${check.detail}` : ''})`);
    if (opts.nextCheck) lines.push(`    Next check: ${infoDate(opts.nextCheck.toISOString())}`);
  }
  if (i.profiles.length === 0) lines.push('Profiles: []');
  else lines.push('Profiles:', ...i.profiles.map((p) => `    - ${p}`));
  if (opts.files) {
    lines.push('Files:');
    for (const f of i.files) {
      lines.push(`    - ${f.role}: ${f.size} bytes, ${f.kind}${f.compression === 'none' ? '' : ` (${f.compression})`}`);
      for (const d of ['sha256', 'sha1', 'md5'] as const) if (f[d]) lines.push(`      ${d}: ${f[d]}`);
    }
  }
  return lines.join('\n') + '\n';
}
