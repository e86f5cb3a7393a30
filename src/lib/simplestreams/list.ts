/**
 * `img simplestreams list`: one row per version of every product of a feed, whatever its
 * datatype. Items are told by their ftype (an image-ids item, which has none, by its name), and
 * the size is of the distinct files the version's items name, with python simplestreams'
 * inheritance of `path` and `size` from product and version.
 */
import type {Feed} from './read-feed.js';
import {versionsOf} from './read-feed.js';
import {treeItems} from './tree.js';

export interface FeedRow {
  product: string;
  version: string;
  contentId: string;
  datatype: string;
  /** The version's item ftypes, sorted, each once. */
  items: string[];
  /** Bytes of the files its items name (0 when they name none, as image-ids items do). */
  size: number;
  /** How many files its items name. */
  files: number;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function feedRows(feed: Feed): FeedRow[] {
  const rows: FeedRow[] = [];
  for (const doc of feed.documents) {
    const sizes = new Map<string, Map<string, number>>();
    for (const item of treeItems(doc.json)) {
      const key = `${item.product}\0${item.version}`;
      const files = sizes.get(key) ?? new Map<string, number>();
      sizes.set(key, files);
      files.set(item.path, item.size ?? 0);
    }
    for (const {product, version, v} of versionsOf(doc.json)) {
      const items = Object.entries(isObj(v.items) ? v.items : {}).map(([name, i]) => {
        const ftype = isObj(i) ? i.ftype : undefined;
        return typeof ftype === 'string' ? ftype : name;
      });
      const files = sizes.get(`${product}\0${version}`) ?? new Map<string, number>();
      rows.push({
        product,
        version,
        contentId: doc.contentId,
        datatype: doc.datatype,
        items: [...new Set(items)].sort(),
        size: [...files.values()].reduce((n, s) => n + s, 0),
        files: files.size,
      });
    }
  }
  return rows.sort((a, b) => cmp(a.contentId, b.contentId) || cmp(a.product, b.product) || cmp(a.version, b.version));
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
