/** What `img simplestreams list` and `verify` print. */
import type {FeedRow} from '../lib/simplestreams/list.js';
import type {MirrorResult} from '../lib/simplestreams/mirror.js';
import type {PruneResult} from '../lib/simplestreams/prune.js';
import type {TreeProblem} from '../lib/simplestreams/verify.js';
import {megabytes} from './image.js';
import {formatBytes} from './progress.js';
import {renderTable, type TableFormat} from './table.js';

export function renderFeedRows(rows: readonly FeedRow[], format: TableFormat): string {
  const cells = rows.map((r) => [r.product, r.version, r.contentId, r.datatype, r.items.join(', '), r.files > 0 ? megabytes(r.size) : '']);
  return renderTable(['PRODUCT', 'VERSION', 'CONTENT ID', 'DATATYPE', 'ITEMS', 'SIZE'], cells, format, {sort: false});
}

/** One line per problem: `MISSING path`, `SIZE path: tree has X, index says Y`… */
export function problemLine(p: TreeProblem): string {
  switch (p.kind) {
    case 'missing':
      return `MISSING ${p.path}`;
    case 'size':
      return `SIZE ${p.path}: tree has ${p.got} bytes, index says ${p.expected}`;
    case 'sha256':
    case 'md5':
      return `${p.kind.toUpperCase()} ${p.path}: tree has ${p.got}, index says ${p.expected}`;
    case 'invalid':
      return `INVALID ${p.path}: ${p.reason}`;
    case 'signature':
      return `SIGNATURE ${p.path}: ${p.reason}`;
  }
}

/** prune's report: each version and file that goes (or would), then a summary. */
export function describePrune(result: PruneResult, dryRun: boolean): string {
  const would = dryRun ? 'would remove' : 'removed';
  const {written, removed} = result.change;
  return [
    ...result.versions.map((v) => `${would} version ${v.product} ${v.version}`),
    ...[...removed, ...result.orphans].map((k) => `${would} ${k}`),
    `${result.versions.length} version(s), ${removed.length + result.orphans.length} file(s) (${result.orphans.length} orphaned) ${would}; ${dryRun ? 'would write' : 'wrote'} ${written.length}`,
  ].join('\n');
}

/** mirror's report: with dryRun each file it would fetch or remove, then a summary. */
export function describeMirror(result: MirrorResult, dryRun: boolean): string {
  const bytes = result.fetched.reduce((n, f) => n + f.size, 0);
  const {written, removed, kept} = result.change;
  const products = new Set(result.versions.map((v) => `${v.contentId}\0${v.product}`)).size;
  const [fetch, write, remove] = dryRun ? ['would fetch', 'would write', 'would remove'] : ['fetched', 'wrote', 'removed'];
  return [
    ...(dryRun ? result.fetched.map((f) => `would fetch ${f.path} (${formatBytes(f.size)})`) : []),
    ...(dryRun ? removed.map((k) => `would remove ${k}`) : []),
    `${result.versions.length} version(s) of ${products} product(s): ${fetch} ${result.fetched.length} file(s) (${formatBytes(bytes)}), kept ${kept}, ${write} ${written.length}, ${remove} ${removed.length}`,
  ].join('\n');
}
