import {readFile} from 'node:fs/promises';
import {NotFoundError, UserError} from '../errors.js';
import type {Alias, AliasEntry, ImageRecord, ImageView} from '../image/types.js';
import {writeFileAtomic} from '../io/atomic.js';

/**
 * Alias names as LXD allows them (slashes are fine: simplestreams aliases look like
 * `ubuntu/22.04`), minus what would be ambiguous on img's command line: a `:` reads as a remote.
 */
export function checkAliasName(name: string): void {
  if (name === '') throw new UserError('Alias name is empty', {code: 'InvalidAlias'});
  if (name.includes(':')) throw new UserError(`Invalid alias name "${name}": ":" separates a remote from an image`, {code: 'InvalidAlias'});
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name) || /^\s|\s$/.test(name)) {
    throw new UserError(`Invalid alias name ${JSON.stringify(name)}: no control characters or surrounding spaces`, {code: 'InvalidAlias'});
  }
}

const byName = (a: {name: string}, b: {name: string}): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** Tells whether an image is in the store: an alias that names a missing image is stale, as if it were not there. */
export type ImageExists = (fingerprint: string) => Promise<boolean>;

/**
 * The store's alias table (aliases.json): alias name → fingerprint and description. One rule
 * decides whether a name is taken, and it is here: by an alias whose image still exists.
 */
export class AliasTable {
  /** Aliases by target, built on first use: `of` for every image of a large store must not sort the whole table each time. */
  private byTarget: Map<string, Alias[]> | undefined;

  private constructor(private readonly entries: Map<string, AliasEntry>) {}

  static async load(path: string): Promise<AliasTable> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new AliasTable(new Map());
      throw err;
    }
    return AliasTable.parse(text, path);
  }

  /** The table in `text`, as read from `path` (for the message when it is damaged); undefined: no file, no aliases. */
  static parse(text: string | undefined, path: string): AliasTable {
    if (text === undefined) return new AliasTable(new Map());
    let doc: {aliases?: Record<string, {target: string; description?: string}>};
    try {
      doc = JSON.parse(text) as typeof doc;
    } catch {
      throw new UserError(`the store's alias table is damaged (${path})`, {code: 'StoreDamaged'});
    }
    const map = new Map<string, AliasEntry>();
    for (const [name, a] of Object.entries(doc.aliases ?? {})) map.set(name, {name, target: a.target, description: a.description ?? ''});
    return new AliasTable(map);
  }

  async save(path: string): Promise<void> {
    const doc = {aliases: Object.fromEntries(this.all().map((a) => [a.name, {target: a.target, description: a.description}]))};
    await writeFileAtomic(path, JSON.stringify(doc, null, 2) + '\n');
  }

  get(name: string): AliasEntry | undefined {
    return this.entries.get(name);
  }

  /** Point `name` at `target`, keeping the description it had unless one is given. */
  set(name: string, target: string, description?: string): AliasEntry {
    const entry = {name, target, description: description ?? this.entries.get(name)?.description ?? ''};
    this.entries.set(name, entry);
    this.byTarget = undefined;
    return entry;
  }

  delete(name: string): void {
    this.entries.delete(name);
    this.byTarget = undefined;
  }

  /** Remove every alias of an image; true when there was one. */
  dropTarget(fingerprint: string): boolean {
    let changed = false;
    for (const [name, a] of this.entries) {
      if (a.target !== fingerprint) continue;
      this.entries.delete(name);
      this.byTarget = undefined;
      changed = true;
    }
    return changed;
  }

  /** Every entry, by name (stale ones included). */
  all(): AliasEntry[] {
    return [...this.entries.values()].sort(byName);
  }

  /** The aliases of one image, by name. */
  of(fingerprint: string): Alias[] {
    if (!this.byTarget) {
      this.byTarget = new Map();
      for (const a of this.all()) {
        const list = this.byTarget.get(a.target) ?? [];
        list.push({name: a.name, description: a.description});
        this.byTarget.set(a.target, list);
      }
    }
    return (this.byTarget.get(fingerprint) ?? []).map((a) => ({...a}));
  }

  view(record: ImageRecord): ImageView {
    return {...record, aliases: this.of(record.fingerprint)};
  }

  /** The alias, when it names an image that exists; else LXD's "not found". */
  async live(name: string, exists: ImageExists): Promise<AliasEntry> {
    const a = this.entries.get(name);
    if (!a || !(await exists(a.target))) throw new NotFoundError(`Image alias "${name}" not found`, 'AliasNotFound');
    return a;
  }

  /** Refuse `name` when it names an existing image other than `target`. */
  async assertFree(name: string, exists: ImageExists, target?: string): Promise<void> {
    const a = this.entries.get(name);
    if (a && a.target !== target && (await exists(a.target))) throw new UserError(`Alias already exists: ${name}`, {code: 'AliasExists'});
  }
}

/** Names given for one image: each valid, none twice. */
export function checkNewAliases(names: readonly string[]): void {
  for (const n of names) checkAliasName(n);
  if (new Set(names).size !== names.length) throw new UserError('the same alias is given twice', {code: 'AliasExists'});
}
