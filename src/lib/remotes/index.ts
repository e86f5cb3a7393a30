import {readFileSync} from 'node:fs';
import {join} from 'node:path';
import type {RemoteConfig} from '../config/types.js';
import {LOCAL_REMOTE} from '../config/types.js';
import {UsageError, UserError} from '../errors.js';
import type {ResponseCache} from '../http/cache.js';
import {hostArchitecture} from '../image/architectures.js';
import type {ImageView} from '../image/types.js';
import type {Store} from '../store/store.js';
import {warnOrFail, type Warning} from '../warn.js';
import {LocalSource} from './local.js';
import {parseRef} from './ref.js';
import type {ResolveWant, Source, SourceContext} from './source.js';

export {LOCAL_REMOTE, type RemoteConfig} from '../config/types.js';
export type {SourceContext} from './source.js';

/**
 * How each protocol's Source is made; a protocol is one file beside this one, loaded when a remote
 * of it is used: a command on the local store never loads the HTTP layer (70 ms of start-up).
 */
export type SourceFactory = (remote: RemoteConfig, ctx: SourceContext) => Source | Promise<Source>;

export const SOURCE_FACTORIES: Readonly<Record<string, SourceFactory>> = {
  local: (remote, ctx) => new LocalSource(ctx.store, remote.name),
  simplestreams: async (remote, ctx) => new (await import('./simplestreams.js')).SimplestreamsSource(remote, {...ctx, cache: await ctx.indexCache()}),
  lxd: async (remote, ctx) =>
    new (await import('./lxd.js')).LxdSource({name: remote.name, url: remote.url ?? '', ...pinned(remote)}, {cache: await ctx.indexCache()}),
};

/** A remote's pinned certificate as PEM: config names the file; an image's update_source carries the PEM itself. */
function pinned(remote: RemoteConfig): {certificate?: string} {
  const cert = remote.certificate;
  if (!cert) return {};
  return {certificate: cert.startsWith('-----BEGIN') ? cert : readFileSync(cert, 'utf8')};
}

export interface RemotesOptions {
  factories?: Readonly<Record<string, SourceFactory>>;
  /** How long a remote's index is used without asking the server (images.remote_index_ttl). */
  indexTtlMs?: number;
  /** Whether a cached index stands in for a remote that cannot be reached (default true; a refresh says false). */
  useStaleIndex?: boolean;
  onWarning?: (w: Warning) => void;
}

/** The remotes img knows and the one way a command turns `[<remote>:]<image>` into an image. */
export class Remotes {
  private readonly sources = new Map<string, Promise<Source>>();
  private readonly factories: Readonly<Record<string, SourceFactory>>;
  private readonly ctx: SourceContext;

  constructor(
    readonly store: Store,
    private readonly configs: readonly RemoteConfig[] = [LOCAL_REMOTE],
    opts: RemotesOptions = {},
  ) {
    this.factories = opts.factories ?? SOURCE_FACTORIES;
    let cache: Promise<ResponseCache> | undefined;
    const indexCache = (): Promise<ResponseCache> =>
      (cache ??= import('../http/cache.js').then(
        ({ResponseCache}) =>
          new ResponseCache(join(store.paths.home, 'cache', 'http'), {
            ttlMs: opts.indexTtlMs ?? 300_000,
            onWarning: opts.onWarning,
            useStale: opts.useStaleIndex ?? true,
          }),
      ));
    this.ctx = {store, indexCache, hostArchitecture: hostArchitecture(), ...(opts.onWarning ? {onWarning: opts.onWarning} : {})};
  }

  names(): string[] {
    return this.configs.map((r) => r.name);
  }

  config(name: string): RemoteConfig {
    const remote = this.configs.find((r) => r.name === name);
    if (!remote) throw new UserError(`The remote "${name}" doesn't exist`, {code: 'RemoteNotFound'});
    return remote;
  }

  /** The remote configured at `server` with `protocol`, as an image's update_source names it (a refresh finds its source so). */
  byServer(server: string, protocol: string): RemoteConfig | undefined {
    const norm = (u: string) => u.replace(/\/+$/, '');
    return this.configs.find((r) => r.protocol === protocol && r.url !== undefined && norm(r.url) === norm(server));
  }

  /** The Source behind a remote name. */
  source(name: string): Promise<Source> {
    let source = this.sources.get(name);
    if (source) return source;
    const config = this.config(name);
    source = this.sourceFor(config);
    this.sources.set(name, source);
    // A keyring authenticates what a plain-http feed says (and the hashes in it its files): no warning then.
    if (config.url && /^http:\/\//i.test(config.url) && !config.keyring) {
      warnOrFail(
        this.ctx,
        'PlainHttp',
        `the remote "${name}" is reached over plain http (${config.url}): nothing proves what it sends comes from that server unchanged`,
      );
    }
    return source;
  }

  /** A Source for a remote that need not be configured (a refresh of an image whose remote was removed). */
  async sourceFor(remote: RemoteConfig): Promise<Source> {
    const factory = this.factories[remote.protocol];
    if (!factory) throw new UserError(`The remote "${remote.name}" speaks ${remote.protocol}, which img does not know`, {code: 'UnknownProtocol'});
    return factory(remote, this.ctx);
  }

  /**
   * Resolve `[<remote>:]<image>`. With `localOnly` (the command's name), a remote other than the
   * local store is refused: the command changes stored images, and a remote image must be copied first.
   */
  async resolve(ref: string, want: ResolveWant & {localOnly?: string} = {}): Promise<{source: Source; image: ImageView}> {
    const {remote, name} = parseRef(ref);
    if (want.localOnly) requireLocal(this.config(remote), want.localOnly, ref);
    const source = await this.source(remote);
    const {localOnly: _, ...rest} = want;
    return {source, image: await source.resolve(name, rest)};
  }

  /** The name in `[<remote>:]<name>` for a command that works on the local store only (aliases). */
  localName(ref: string, command: string): string {
    const {remote, name} = parseRef(ref);
    requireLocal(this.config(remote), command, ref);
    return name;
  }
}

function requireLocal(remote: RemoteConfig, command: string, ref: string): void {
  if (remote.protocol !== 'local') throw new UsageError(`img ${command} works on the local store, not on ${remote.name}: (${ref})`);
}
