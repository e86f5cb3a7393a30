/** What `img simplestreams list` and `verify` print. */
import type {FeedRow} from '../lib/simplestreams/list.js';
import type {TreeProblem} from '../lib/simplestreams/verify.js';
import {megabytes} from './image.js';
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
