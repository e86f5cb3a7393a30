import {UsageError, UserError} from '../errors.js';
import type {ImageView} from '../image/types.js';
import type {Store} from '../store/store.js';
import {LocalSource} from './local.js';
import {parseRef} from './ref.js';
import type {ResolveWant, Source} from './source.js';

/** A configured remote: a name, the protocol spoken there and where. */
export interface RemoteConfig {
  name: string;
  protocol: string;
  url?: string;
}

export const LOCAL_REMOTE: RemoteConfig = {name: 'local', protocol: 'local'};

/** How each protocol's Source is made; a protocol is one file beside this one. */
export type SourceFactory = (remote: RemoteConfig, store: Store) => Source;

export const SOURCE_FACTORIES: Readonly<Record<string, SourceFactory>> = {
  local: (remote, store) => new LocalSource(store, remote.name),
};

/**
 * The remotes img knows and the one way a command turns `[<remote>:]<image>` into an image: the
 * local store alone until remotes are configured (the remotes issue adds their config file).
 */
export class Remotes {
  private readonly sources = new Map<string, Source>();

  constructor(
    readonly store: Store,
    private readonly configs: readonly RemoteConfig[] = [LOCAL_REMOTE],
    private readonly factories: Readonly<Record<string, SourceFactory>> = SOURCE_FACTORIES,
  ) {}

  names(): string[] {
    return this.configs.map((r) => r.name);
  }

  /** The Source behind a remote name. */
  source(name: string): Source {
    let source = this.sources.get(name);
    if (source) return source;
    const remote = this.configs.find((r) => r.name === name);
    if (!remote) throw new UserError(`The remote "${name}" doesn't exist`, {code: 'RemoteNotFound'});
    const factory = this.factories[remote.protocol];
    if (!factory) throw new UserError(`The remote "${name}" speaks ${remote.protocol}, which img does not know`, {code: 'UnknownProtocol'});
    source = factory(remote, this.store);
    this.sources.set(name, source);
    return source;
  }

  /**
   * Resolve `[<remote>:]<image>`. With `localOnly` (the command's name), a remote other than the
   * local store is refused: the command changes stored images, and a remote image must be copied first.
   */
  async resolve(ref: string, want: ResolveWant & {localOnly?: string} = {}): Promise<{source: Source; image: ImageView}> {
    const {remote, name} = parseRef(ref);
    const source = this.source(remote);
    if (want.localOnly) requireLocal(source, want.localOnly, ref);
    const {localOnly: _, ...rest} = want;
    return {source, image: await source.resolve(name, rest)};
  }

  /** The name in `[<remote>:]<name>` for a command that works on the local store only (aliases). */
  localName(ref: string, command: string): string {
    const {remote, name} = parseRef(ref);
    requireLocal(this.source(remote), command, ref);
    return name;
  }
}

function requireLocal(source: Source, command: string, ref: string): void {
  if (source.protocol !== 'local') throw new UsageError(`img ${command} works on the local store, not on ${source.remote}: (${ref})`);
}
