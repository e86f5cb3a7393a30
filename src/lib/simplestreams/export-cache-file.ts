/**
 * The file of export-cache.ts: what it keeps between runs of one tree, how that is written so
 * that it is read fast (parallel arrays of strings, the big part in a second file read only on
 * change), and how a cache that is not whole is found out (a miss, never a wrong tree).
 */
import {createHash, randomBytes} from 'node:crypto';
import {mkdirSync, readFileSync, renameSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';
import {deserialize, serialize} from 'node:v8';
import type {Store} from '../store/store.js';
import type {TreeFile} from './tree.js';

const VERSION = 1;

/** One product (a group of images with the same FeedImage.product), as rendered. */
export interface Group {
  /** Fingerprints in feed order, one a line. */
  images: string;
  /** Its refusals as JSON; empty when none. */
  refused: string;
  newest: string;
  /** canonicalJsonAt(product, PRODUCT_INDENT) and its TreeFiles (fileLine, one a line): see Body. */
  body: () => Body;
}

/** What a run needs of a product only when something changed: kept in a second file, read only then. */
export interface Body {
  /** Empty when the flavour refused every image. */
  text: string;
  files: string;
}

export interface ImageEntry {
  stamp: string;
  aliases: string;
  /** Its product; empty when not exported (private, or filtered out). */
  group: string;
}

export interface Cache {
  images: Map<string, ImageEntry>;
  groups: Map<string, Group>;
  /** sha256 of aliases.json as read ('' when there was none). */
  aliases: string;
  /** Hash of the index and products text as written. */
  tree: string;
  /** Distinct files the tree's documents name (writeTree's `kept` when nothing changes). */
  kept: number;
}

/**
 * On disk as parallel arrays of strings: V8 deserialises 100,000 strings in milliseconds, where
 * as many small objects took 250 ms (measured: the whole saving would go to reading the cache).
 * The products' texts and files (10 MB for 10,000 products) are a second file, `.body`, read only
 * when something changed; both carry one random `generation`, so that a body is never taken from
 * another run than its index.
 */
interface Stored {
  version: number;
  options: string;
  generation: string;
  tree: string;
  aliasesHash: string;
  kept: number;
  fps: string[];
  stamps: string[];
  aliases: string[];
  groupOf: string[];
  names: string[];
  images: string[];
  refused: string[];
  newest: string[];
}

interface StoredBody {
  generation: string;
  texts: string[];
  files: string[];
}

const IMAGE_LISTS = ['fps', 'stamps', 'aliases', 'groupOf'] as const;
const GROUP_LISTS = ['names', 'images', 'refused', 'newest'] as const;

/** The cache is not whole (its body is from another run, or gone): the run starts again without it. */
export class StaleCache extends Error {}

export const sha256 = (text: string | Buffer): string => createHash('sha256').update(text).digest('hex');

export function cacheFile(store: Store, tree: string): string {
  return join(store.paths.home, 'cache', 'export', `${sha256(tree).slice(0, 32)}.v8`);
}

const strings = (v: unknown, n: number): boolean => Array.isArray(v) && v.length === n && v.every((x) => typeof x === 'string');

function readStored<T>(file: string): T | undefined {
  try {
    return deserialize(readFileSync(file)) as T;
  } catch {
    return undefined;
  }
}

export function load(file: string, options: string): Cache | undefined {
  const s = readStored<Stored>(file);
  if (s?.version !== VERSION || s.options !== options || typeof s.generation !== 'string' || typeof s.tree !== 'string') return undefined;
  if (typeof s.aliasesHash !== 'string' || typeof s.kept !== 'number' || !Array.isArray(s.fps) || !Array.isArray(s.names)) return undefined;
  if (!IMAGE_LISTS.every((k) => strings(s[k], s.fps.length)) || !GROUP_LISTS.every((k) => strings(s[k], s.names.length))) return undefined;
  let bodies: StoredBody | undefined;
  const readBodies = (): StoredBody => {
    const b = readStored<StoredBody>(`${file}.body`);
    if (b?.generation !== s.generation || !strings(b.texts, s.names.length) || !strings(b.files, s.names.length)) throw new StaleCache();
    return b;
  };
  const body = (i: number) => (): Body => {
    bodies ??= readBodies();
    return {text: bodies.texts[i]!, files: bodies.files[i]!};
  };
  const images = new Map<string, ImageEntry>();
  for (let i = 0; i < s.fps.length; i++) images.set(s.fps[i]!, {stamp: s.stamps[i]!, aliases: s.aliases[i]!, group: s.groupOf[i]!});
  const groups = new Map<string, Group>();
  for (let i = 0; i < s.names.length; i++) groups.set(s.names[i]!, {images: s.images[i]!, refused: s.refused[i]!, newest: s.newest[i]!, body: body(i)});
  return {images, groups, aliases: s.aliasesHash, tree: s.tree, kept: s.kept};
}

export function save(file: string, options: string, cache: Cache): void {
  const generation = randomBytes(8).toString('hex');
  const s: Stored = {
    version: VERSION,
    options,
    generation,
    tree: cache.tree,
    aliasesHash: cache.aliases,
    kept: cache.kept,
    fps: [],
    stamps: [],
    aliases: [],
    groupOf: [],
    names: [],
    images: [],
    refused: [],
    newest: [],
  };
  const b: StoredBody = {generation, texts: [], files: []};
  for (const [fp, e] of cache.images) {
    s.fps.push(fp);
    s.stamps.push(e.stamp);
    s.aliases.push(e.aliases);
    s.groupOf.push(e.group);
  }
  for (const [name, g] of cache.groups) {
    s.names.push(name);
    s.images.push(g.images);
    s.refused.push(g.refused);
    s.newest.push(g.newest);
    const {text, files} = g.body();
    b.texts.push(text);
    b.files.push(files);
  }
  mkdirSync(dirname(file), {recursive: true});
  // No fsync: a cache lost or torn in a crash is a miss (load checks it whole), never wrong. The
  // body goes first; the index, renamed into place last, makes the pair current.
  for (const [path, value] of [
    [`${file}.body`, b],
    [file, s],
  ] as const) {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, serialize(value));
    renameSync(tmp, path);
  }
}

export const fileLine = (f: TreeFile): string => `${f.key}\t${f.size}\t${f.sha256}\t${f.source as string}`;
export function filesOf(group: Group): TreeFile[] {
  const {files} = group.body();
  if (files === '') return [];
  return files.split('\n').map((line) => {
    const [key, size, sha256, source] = line.split('\t') as [string, string, string, string];
    return {key, size: Number(size), sha256, source};
  });
}
export const lines = (text: string): string[] => (text === '' ? [] : text.split('\n'));
export function sameGroup(a: Group, b: Group): boolean {
  if (a.images !== b.images || a.refused !== b.refused || a.newest !== b.newest) return false;
  const [x, y] = [a.body(), b.body()];
  return x.text === y.text && x.files === y.files;
}
