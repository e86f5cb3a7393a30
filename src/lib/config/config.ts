import {existsSync} from 'node:fs';
import {mkdir, open, readFile} from 'node:fs/promises';
import {isAbsolute, join} from 'node:path';
import {pathToFileURL} from 'node:url';
import * as fsx from 'fs-native-extensions';
import {parseDocument} from 'yaml';
import {UserError, userFsError} from '../errors.js';
import {writeFileAtomic} from '../io/atomic.js';
import {stringifyYaml} from '../yaml/encode.js';
import {checkSettingKey, parseSetting, SETTINGS, type SettingKey, type Settings} from './settings.js';
import {LOCAL_REMOTE, type RemoteConfig} from './types.js';

/** A remote as config.yml keeps it (lxc's config.Remote, with img's keyring). */
export interface StoredRemote {
  addr: string;
  protocol: string;
  public: boolean;
  keyring?: string;
}

/**
 * The remotes lxc 5.0 has built in. Static ones are always there and cannot change (lxc: "Remote
 * ubuntu is static and cannot be modified"); `images` is only a default: present while there is no
 * config file, then written into it like any remote, so it can be removed or renamed.
 */
export const STATIC_REMOTES: readonly RemoteConfig[] = [
  LOCAL_REMOTE,
  {name: 'ubuntu', protocol: 'simplestreams', url: 'https://cloud-images.ubuntu.com/releases', public: true, static: true},
  {name: 'ubuntu-daily', protocol: 'simplestreams', url: 'https://cloud-images.ubuntu.com/daily', public: true, static: true},
];
export const DEFAULT_REMOTES: Readonly<Record<string, StoredRemote>> = {
  images: {addr: 'https://images.linuxcontainers.org', protocol: 'simplestreams', public: true},
};

/** What `$IMG_HOME/config.yml` holds, as read; updateConfig's callback changes it in place. */
export interface ConfigData {
  /** Empty means `local`, as in lxc. */
  defaultRemote: string;
  remotes: Map<string, StoredRemote>;
  /** Settings as set, in LXD's way: every value a string, checked against its key's type on use. */
  settings: Map<string, string>;
}

/** img's configuration: the remotes (built-ins merged with the file) and the settings. */
export class ImgConfig {
  constructor(
    readonly home: string,
    readonly data: ConfigData,
  ) {}

  get file(): string {
    return configFile(this.home);
  }

  get defaultRemote(): string {
    return this.data.defaultRemote || LOCAL_REMOTE.name;
  }

  /** Every remote by name, built-ins included; a static name in the file is ignored, as lxc does. */
  remotes(): RemoteConfig[] {
    const all = new Map(STATIC_REMOTES.map((r) => [r.name, r]));
    for (const [name, r] of this.data.remotes) if (!all.has(name)) all.set(name, toRemoteConfig(name, r, this.home));
    return [...all.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  remote(name: string): RemoteConfig | undefined {
    return this.remotes().find((r) => r.name === name);
  }

  /**
   * A setting's value in effect: as set, else its default.
   *
   * @example
   * ```ts
   * const hours = (await loadConfig(home)).setting('images.auto_update_interval'); // 6 unless set
   * ```
   */
  setting<K extends SettingKey>(key: K): Settings[K] {
    const text = this.data.settings.get(key);
    return text === undefined ? SETTINGS[key].default : parseSetting(key, text, ` in ${this.file}`);
  }

  /** The settings the file sets, by key (`lxc config show`'s `config:`). */
  changedSettings(): Record<string, string> {
    return Object.fromEntries([...this.data.settings].sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  /** Where a remote is, as `remote list` shows it: the local store has no URL, so its directory's. */
  addr(remote: RemoteConfig): string {
    return remote.url ?? pathToFileURL(this.home).href;
  }
}

function toRemoteConfig(name: string, r: StoredRemote, home: string): RemoteConfig {
  const keyring = r.keyring === undefined ? {} : {keyring: isAbsolute(r.keyring) ? r.keyring : join(home, r.keyring)};
  // lxc keeps a remote's accepted certificate beside its config, named after the remote, not in config.yml.
  const cert = serverCertPath(home, name);
  return {name, protocol: r.protocol, url: r.addr, public: r.public, ...keyring, ...(existsSync(cert) ? {certificate: cert} : {})};
}

/** Where a remote's pinned certificate is kept (lxc's servercerts/<name>.crt). */
export const serverCertPath = (home: string, name: string): string => join(home, 'servercerts', `${name}.crt`);

export const configFile = (home: string): string => join(home, 'config.yml');

/**
 * Read `$IMG_HOME/config.yml`; a missing file is the defaults (lxc's DefaultConfig).
 *
 * @example
 * ```ts
 * const cfg = await loadConfig(imgHome());
 * cfg.remotes().map((r) => r.name); // ['images', 'local', 'ubuntu', 'ubuntu-daily']
 * ```
 */
export async function loadConfig(home: string): Promise<ImgConfig> {
  const file = configFile(home);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return new ImgConfig(home, defaults());
    userFsError(err, file);
  }
  const doc = parseDocument(text, {schema: 'yaml-1.1', uniqueKeys: true});
  if (doc.errors.length > 0) throw damaged(file, doc.errors[0]!.message.split('\n')[0]!.replace(/:$/, ''));
  return new ImgConfig(home, fromYaml(doc.toJS({maxAliasCount: 100}) as unknown, file));
}

function defaults(): ConfigData {
  return {defaultRemote: '', remotes: new Map(Object.entries(DEFAULT_REMOTES).map(([n, r]) => [n, {...r}])), settings: new Map()};
}

function damaged(file: string, why: string): UserError {
  return new UserError(`Unable to decode the configuration ${file}: ${why}`, {code: 'ConfigDamaged'});
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function fromYaml(value: unknown, file: string): ConfigData {
  if (value === null || value === undefined) value = {};
  if (!isMap(value)) throw damaged(file, 'not a map of settings');
  const top = value;
  const def = top['default-remote'] ?? '';
  if (typeof def !== 'string') throw damaged(file, 'default-remote is not a string');
  const remotes = new Map<string, StoredRemote>();
  const rs = top.remotes ?? {};
  if (!isMap(rs)) throw damaged(file, 'remotes is not a map');
  for (const [name, r] of Object.entries(rs)) {
    if (!isMap(r)) throw damaged(file, `remote ${name} is not a map`);
    const {addr, protocol = 'lxd', public: pub = false, keyring} = r;
    if (typeof addr !== 'string') throw damaged(file, `remote ${name} has no addr`);
    if (typeof protocol !== 'string') throw damaged(file, `the protocol of remote ${name} is not a string`);
    if (typeof pub !== 'boolean') throw damaged(file, `the public of remote ${name} is not true or false`);
    if (keyring !== undefined && typeof keyring !== 'string') throw damaged(file, `the keyring of remote ${name} is not a path`);
    remotes.set(name, {addr, protocol: protocol || 'lxd', public: pub, ...(keyring ? {keyring} : {})});
  }
  const settings = new Map<string, string>();
  const cs = top.config ?? {};
  if (!isMap(cs)) throw damaged(file, 'config is not a map');
  for (const [key, v] of Object.entries(cs)) {
    // Hand-written numbers and booleans are taken as LXD takes server config: as their text.
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw damaged(file, `config ${key} is not a scalar`);
    settings.set(key, String(v));
  }
  return {defaultRemote: def, remotes, settings};
}

function toYaml(data: ConfigData): string {
  const remotes = Object.fromEntries(
    [...data.remotes]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, r]) => [name, {addr: r.addr, protocol: r.protocol, public: r.public, ...(r.keyring ? {keyring: r.keyring} : {})}]),
  );
  const config = Object.fromEntries([...data.settings].sort(([a], [b]) => (a < b ? -1 : 1)));
  return stringifyYaml({'default-remote': data.defaultRemote || LOCAL_REMOTE.name, remotes, config});
}

/** What a change did beyond config.yml and must take back if the file cannot be written. */
export type Undo = (fn: () => Promise<void>) => void;

/**
 * Change config.yml: under an exclusive lock on `config.lock` (so concurrent img processes never
 * lose each other's changes), read it, let `change` edit it, and write it back atomically. A
 * `change` that throws leaves the file as it was, and what it registered with `undo` is undone.
 *
 * @example
 * ```ts
 * await updateConfig(home, (cfg) => void cfg.data.settings.set('images.auto_update_interval', '12'));
 * ```
 */
export async function updateConfig<T>(home: string, change: (cfg: ImgConfig, undo: Undo) => T | Promise<T>): Promise<T> {
  await mkdir(home, {recursive: true}).catch((err: unknown) => userFsError(err, home));
  const lock = await open(join(home, 'config.lock'), 'a+');
  const undos: Array<() => Promise<void>> = [];
  try {
    if (!fsx.tryLock(lock.fd)) await fsx.waitForLock(lock.fd);
    const cfg = await loadConfig(home);
    try {
      const result = await change(cfg, (fn) => undos.push(fn));
      await writeFileAtomic(cfg.file, toYaml(cfg.data)).catch((err: unknown) => userFsError(err, cfg.file));
      return result;
    } catch (err) {
      for (const fn of undos.reverse()) await fn().catch(() => undefined);
      throw err;
    }
  } finally {
    // Closing the description releases the lock (an OFD lock, as the store's: a killed holder frees it too).
    await lock.close();
  }
}

/** `getSetting(cfg, key)` is `cfg.setting(key)`. */
export const getSetting = <K extends SettingKey>(cfg: ImgConfig, key: K): Settings[K] => cfg.setting(key);

/** Set a setting, checked first; an empty value unsets it, as in LXD. */
export async function setSetting(home: string, key: string, value: string): Promise<void> {
  const k = checkSettingKey(key);
  if (value !== '') parseSetting(k, value);
  await updateConfig(home, (cfg) => void (value === '' ? cfg.data.settings.delete(k) : cfg.data.settings.set(k, value)));
}

export async function unsetSetting(home: string, key: string): Promise<void> {
  const k = checkSettingKey(key);
  await updateConfig(home, (cfg) => void cfg.data.settings.delete(k));
}
