/**
 * The Catalog of a Store: its public images, read once and kept until the store changes. Every
 * request asks `current()`, which costs two stat calls while nothing changed: images/ (an image
 * added or removed renames a directory in it) and aliases.json (replaced by rename on every alias
 * change). A record rewritten in place (`img image edit` making an image private) renames a file
 * inside images/<fp>/ only, which neither stat sees, so each image directory is also watched
 * (inotify); where watches cannot be had, those directories are stat-ed per request instead.
 */
import {createHash} from 'node:crypto';
import {statSync, watch, type FSWatcher} from 'node:fs';
import {NotFoundError} from '../errors.js';
import type {AliasEntry, FileRole, ImageView} from '../image/types.js';
import {feedImages} from '../simplestreams/feed.js';
import {publicImages} from '../simplestreams/from-store.js';
import type {Store} from '../store/store.js';
import type {Catalog} from './types.js';

const HEX = /^[0-9a-f]+$/;

/** A snapshot of public images: pure, built from views and aliases (tests build one without a store). */
export function makeCatalog(views: readonly ImageView[], aliases: readonly AliasEntry[], filePathOf: (fp: string, role: FileRole) => string): Catalog {
  const images = [...views].sort((a, b) => (a.fingerprint < b.fingerprint ? -1 : a.fingerprint > b.fingerprint ? 1 : 0));
  const byFp = new Map(images.map((v) => [v.fingerprint, v]));
  const publicAliases = aliases.filter((a) => byFp.has(a.target)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const generation = createHash('sha256')
    .update(JSON.stringify([images, publicAliases]))
    .digest('hex')
    .slice(0, 20);
  return {
    images,
    feed: feedImages(images, filePathOf),
    aliases: publicAliases,
    generation,
    find(fingerprintOrPrefix) {
      const p = fingerprintOrPrefix.toLowerCase();
      if (p === '' || !HEX.test(p) || p.length > 64) return undefined;
      const exact = byFp.get(p);
      if (exact) return exact;
      const matches = images.filter((v) => v.fingerprint.startsWith(p));
      return matches.length === 1 ? matches[0] : undefined;
    },
    filePath(fingerprint, role) {
      const view = byFp.get(fingerprint);
      if (!view || !view.files.some((f) => f.role === role)) throw new NotFoundError('Image not found');
      return filePathOf(fingerprint, role);
    },
  };
}

type Stamp = string;

function stampOf(path: string): Stamp {
  const s = statSync(path, {throwIfNoEntry: false});
  return s ? `${s.ino}:${s.mtimeMs}:${s.ctimeMs}:${s.size}` : '-';
}

/** The store's catalog, kept current. */
export class StoreCatalog {
  private catalog: Catalog | undefined;
  private stamp: Stamp = '';
  private dirty = true;
  private building: Promise<Catalog> | undefined;
  private readonly watchers = new Map<string, FSWatcher>();
  /** Image directories are stat-ed per request instead of watched. */
  private statEach: boolean;
  private fingerprints: readonly string[] = [];
  private closed = false;
  private lookedThisTurn = false;

  constructor(
    private readonly store: Store,
    private readonly opts: {onHashing?: (bytes: number) => void; watch?: boolean} = {},
  ) {
    this.statEach = opts.watch === false;
  }

  /** The catalog as the store is now; rebuilt (once, however many requests ask) after a change. */
  async current(): Promise<Catalog> {
    // Requests read in one turn of the event loop arrived together and share one look at the store: under load the
    // stat calls were a fifth of the time of an answer from memory.
    if (this.catalog && !this.dirty && this.lookedThisTurn) return this.catalog;
    const stamp = this.stampNow();
    this.lookedThisTurn = true;
    setImmediate(() => (this.lookedThisTurn = false));
    if (this.catalog && !this.dirty && stamp === this.stamp) return this.catalog;
    return (this.building ??= this.build().finally(() => (this.building = undefined)));
  }

  close(): void {
    this.closed = true;
    this.unwatch();
  }

  private unwatch(): void {
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
  }

  private stampNow(): Stamp {
    const {images, aliases} = this.store.paths;
    let stamp = `${stampOf(images)}|${stampOf(aliases)}`;
    if (this.statEach) for (const fp of this.fingerprints) stamp += `|${stampOf(this.store.imageDir(fp))}`;
    return stamp;
  }

  private async build(): Promise<Catalog> {
    let catalog: Catalog | undefined;
    // A change seen while reading (computing a missing digest rewrites that record, too) means read again.
    for (let round = 0; round < 3 && (catalog === undefined || this.dirty); round++) {
      this.dirty = false;
      const stamp = this.stampNow();
      const [views, table, fingerprints] = await Promise.all([publicImages(this.store, this.opts), this.store.aliases(), this.store.fingerprints()]);
      this.fingerprints = fingerprints;
      this.watchImages(fingerprints);
      catalog = makeCatalog(views, table.all(), (fp, role) => this.store.filePath(fp, role));
      this.catalog = catalog;
      this.stamp = stamp;
    }
    return catalog!;
  }

  private watchImages(fingerprints: readonly string[]): void {
    if (this.closed || this.statEach) return;
    const keep = new Set(fingerprints);
    for (const [fp, w] of this.watchers) {
      if (keep.has(fp)) continue;
      w.close();
      this.watchers.delete(fp);
    }
    for (const fp of fingerprints) {
      if (this.watchers.has(fp)) continue;
      try {
        const w = watch(this.store.imageDir(fp), {persistent: false}, () => (this.dirty = true));
        w.on('error', () => (this.dirty = true));
        this.watchers.set(fp, w);
      } catch {
        // Out of inotify watches (or the directory just went): fall back to a stat per image per request.
        this.statEach = true;
        this.unwatch();
        return;
      }
    }
  }
}
