/**
 * A simplestreams feed as a Source (../shared/spec/simplestreams.md §1–§4): the index, then every
 * `image-downloads` products file it names, read as LXD 5.0.2 reads them (simplestreams/
 * products.ts), through the cache of remote indexes. With a keyring, only the clearsigned
 * `.sjson` files are read, and each must verify before a byte of it is believed.
 */
import {basename} from 'node:path';
import type {RemoteConfig} from '../config/types.js';
import {NotFoundError, UserError} from '../errors.js';
import {expectOk, parseJson, request} from '../http/client.js';
import {downloadFile} from '../http/download.js';
import {formatOfName} from '../archive/detect.js';
import type {FileRole, ImageFile, ImageSource, ImageView, ListedAlias} from '../image/types.js';
import {aliasesOf, generateAliases, resolveStreamImage} from '../simplestreams/aliases.js';
import {parseProducts, safeItemPath} from '../simplestreams/products.js';
import {feedTextReader, MAX_INDEX_BYTES, MAX_PRODUCTS_BYTES} from '../simplestreams/read-feed.js';
import type {StreamAlias, StreamImage, StreamSet} from '../simplestreams/types.js';
import {GO_ZERO_TIME} from '../time.js';
import {warnOrFail} from '../warn.js';
import type {ResponseCache} from '../http/cache.js';
import type {DownloadOptions, DownloadTarget, ResolveWant, Source, SourceContext, SourceFile} from './source.js';

/** A feed is read through the cache of remote indexes; the host's architecture picks among an alias's images. */
export type SimplestreamsContext = Pick<SourceContext, 'hostArchitecture' | 'onWarning'> & {cache: ResponseCache};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export class SimplestreamsSource implements Source {
  readonly protocol = 'simplestreams';
  readonly remote: string;
  readonly server: string;
  private loaded: Promise<StreamSet> | undefined;

  constructor(
    private readonly config: RemoteConfig,
    private readonly ctx: SimplestreamsContext,
  ) {
    this.remote = config.name;
    if (!config.url) throw new UserError(`The remote "${config.name}" has no URL`, {code: 'InvalidRemoteUrl'});
    this.server = config.url.replace(/\/+$/, '');
  }

  async list(): Promise<ImageView[]> {
    const set = await this.set();
    return set.images.map((i) => this.view(i, set));
  }

  async aliases(): Promise<ListedAlias[]> {
    const set = await this.set();
    const host = this.ctx.hostArchitecture;
    return set.aliases.filter((a) => !a.short || a.architecture === host).map((a) => ({name: a.name, description: '', target: a.fingerprint, type: a.type}));
  }

  async resolve(name: string, want: ResolveWant = {}): Promise<ImageView> {
    const set = await this.set();
    const image = resolveStreamImage(set, name, {architecture: want.architecture ?? this.ctx.hostArchitecture, ...(want.type ? {type: want.type} : {})});
    return this.view(image, set);
  }

  async info(fingerprint: string): Promise<ImageView> {
    const set = await this.set();
    const image = set.images.find((i) => i.fingerprint === fingerprint.toLowerCase());
    if (!image) throw new NotFoundError(`The requested image couldn't be found: "${fingerprint}"`);
    return this.view(image, set);
  }

  async open(image: ImageView, role: FileRole, opts: {signal?: AbortSignal} = {}): Promise<SourceFile> {
    const file = (await this.streamImage(image)).files.find((f) => f.role === role);
    if (!file) throw new NotFoundError(`Image "${image.fingerprint}" has no ${role} file`);
    const res = await expectOk(await request(this.url(file.path), opts.signal ? {signal: opts.signal} : {}));
    return {stream: res.body, name: basename(file.path), size: file.size, sha256: file.sha256};
  }

  /** Each file straight from the feed into its partial, side by side; each checked by size and sha256 as it streams. */
  async download(image: ImageView, target: DownloadTarget, opts: DownloadOptions = {}): Promise<ImageSource[]> {
    const files = (await this.streamImage(image)).files;
    const total = files.reduce((n, f) => n + f.size, 0);
    let done = 0;
    const got = await Promise.all(
      files.map((f) =>
        downloadFile(this.url(f.path), target.partial(f.role), {
          name: basename(f.path),
          size: f.size,
          sha256: f.sha256,
          ...(opts.signal ? {signal: opts.signal} : {}),
          onProgress: (n) => opts.onProgress?.((done += n), total),
        }),
      ),
    );
    return got.map((g, i) => ({path: g.path, size: files[i]!.size, sha256: files[i]!.sha256, verified: true}));
  }

  private url(path: string): string {
    return `${this.server}/${path}`;
  }

  private async streamImage(image: ImageView): Promise<StreamImage> {
    const found = (await this.set()).images.find((i) => i.fingerprint === image.fingerprint && i.type === image.type);
    if (!found) throw new NotFoundError(`The requested image couldn't be found: "${image.fingerprint}"`);
    return found;
  }

  private set(): Promise<StreamSet> {
    this.loaded ??= this.load();
    return this.loaded;
  }

  private async load(): Promise<StreamSet> {
    const readText = await feedTextReader(this.server, {cache: this.ctx.cache, ...(this.config.keyring ? {keyring: this.config.keyring} : {})});
    const read = async (path: string, maxBytes: number): Promise<unknown> => {
      const {text, url} = await readText(path, maxBytes);
      return parseJson(text, url);
    };
    const indexPath = 'streams/v1/index.json';
    const index = await read(indexPath, MAX_INDEX_BYTES);
    if (!isObj(index) || !isObj(index.index)) throw new UserError(`${this.url(indexPath)}: not a simplestreams index (no "index" map)`, {code: 'InvalidFeed'});
    const images: StreamImage[] = [];
    const skipped: StreamSet['skipped'] = [];
    for (const [id, entry] of Object.entries(index.index)) {
      // LXD reads image-downloads entries only, and skips one whose product list is empty.
      if (!isObj(entry) || entry.datatype !== 'image-downloads' || !Array.isArray(entry.products) || entry.products.length === 0) continue;
      if (typeof entry.path !== 'string' || !safeItemPath(entry.path)) {
        throw new UserError(`${this.url(indexPath)}: entry ${JSON.stringify(id)} has an unsafe path ${JSON.stringify(entry.path)}`, {code: 'InvalidFeed'});
      }
      const set = parseProducts(await read(entry.path, MAX_PRODUCTS_BYTES), {remoteUrl: this.server});
      images.push(...set.images);
      skipped.push(...set.skipped);
    }
    if (skipped.length > 0) {
      const first = skipped[0]!;
      const where = [first.product, first.version, first.item].filter(Boolean).join(' ');
      warnOrFail(
        {onWarning: this.ctx.onWarning},
        'FeedEntrySkipped',
        `${this.remote}: ${skipped.length} feed entr${skipped.length === 1 ? 'y' : 'ies'} could not be read and ${skipped.length === 1 ? 'was' : 'were'} left out (first: ${where}: ${first.reason})`,
        {skipped},
      );
    }
    // Aliases are generated over all products files at once: the first registration wins across them, as in LXD.
    return {images, aliases: generateAliases(images, this.server), skipped};
  }

  private byFingerprint: Map<string, string[]> | undefined;

  /** Each image's listed aliases, found once per feed: a listing of 6,000 images would otherwise scan every alias for each. */
  private aliasIndex(set: StreamSet): Map<string, string[]> {
    if (this.byFingerprint) return this.byFingerprint;
    const groups = new Map<string, StreamAlias[]>();
    for (const a of set.aliases) {
      const group = groups.get(a.fingerprint);
      if (group) group.push(a);
      else groups.set(a.fingerprint, [a]);
    }
    const index = new Map<string, string[]>();
    for (const [fp, group] of groups) index.set(fp, aliasesOf(group, fp, this.ctx.hostArchitecture));
    return (this.byFingerprint = index);
  }

  private view(image: StreamImage, set: StreamSet): ImageView {
    return {
      fingerprint: image.fingerprint,
      type: image.type,
      architecture: image.architecture,
      size: image.size,
      filename: image.filename,
      properties: image.properties,
      public: true,
      cached: false,
      auto_update: false,
      profiles: [],
      created_at: image.created_at,
      uploaded_at: image.uploaded_at,
      last_used_at: GO_ZERO_TIME,
      expires_at: image.expires_at,
      update_source: null,
      files: image.files.map((f) => ({role: f.role, size: f.size, sha256: f.sha256, ...formatOf(f.ftype, f.path)})),
      aliases: (this.aliasIndex(set).get(image.fingerprint) ?? []).map((name) => ({name, description: ''})),
    };
  }
}

/** What a file will be, told by its ftype and name before a byte is read (a listing shows it; the import detects the truth). */
function formatOf(ftype: string, path: string): Pick<ImageFile, 'kind' | 'compression' | 'extension'> {
  if (ftype === 'squashfs') return {kind: 'squashfs', compression: 'none', extension: '.squashfs'};
  if (ftype.endsWith('.img')) return {kind: 'qcow2', compression: 'none', extension: '.qcow2'};
  // The metadata ftype says lxd.tar.xz whatever the compression; the file's name is the better guess.
  return formatOfName(path) ?? formatOfName(ftype) ?? {kind: 'tar', compression: 'xz', extension: '.tar.xz'};
}
