import {existsSync} from 'node:fs';
import {mkdir, readFile, rename, unlink} from 'node:fs/promises';
import {join} from 'node:path';
import {UsageError, UserError, userFsError} from '../errors.js';
import {writeFileAtomic} from '../io/atomic.js';
import {serverCertPath, STATIC_REMOTES, updateConfig, type ImgConfig, type StoredRemote} from './config.js';
import type {RemoteConfig} from './types.js';

interface ProtocolRules {
  /** Every remote of the protocol is public (lxc forces it for simplestreams). */
  alwaysPublic: boolean;
  /** The port of a bare `host` or `https://host` (lxc adds LXD's 8443); none keeps the URL as given. */
  defaultPort?: number;
}

/** The protocols `img remote add` takes; a new one (imgapi, dsapi) is one line here and a Source factory. */
export const REMOTE_PROTOCOLS: Readonly<Record<string, ProtocolRules>> = {
  simplestreams: {alwaysPublic: true},
  lxd: {alwaysPublic: false, defaultPort: 8443},
};
export const KNOWN_PROTOCOLS: readonly string[] = Object.keys(REMOTE_PROTOCOLS);
/** lxc's default for `remote add` without --protocol. */
export const DEFAULT_PROTOCOL = 'lxd';

export interface AddRemoteOptions {
  name: string;
  url: string;
  protocol?: string;
  public?: boolean;
  /** An OpenPGP keyring file: copied to `$IMG_HOME/keyrings/<name>.gpg`, which the remote then names. */
  keyring?: string;
  /**
   * Asked, once the name, URL and config are known to be good, for the server's certificate (PEM)
   * to pin, or undefined when the system trusts the server: kept as `$IMG_HOME/servercerts/<name>.crt`.
   */
  certificate?: (url: string, protocol: string) => Promise<string | undefined>;
}

/** A remote name as img takes it: lxc refuses a `:`; img also refuses `/` and the empty name, which lxc takes and then cannot parse back. */
export function checkRemoteName(name: string): void {
  if (name === '') throw new UsageError('Remote names may not be empty');
  if (name.includes(':')) throw new UsageError('Remote names may not contain colons');
  if (name.includes('/')) throw new UsageError('Remote names may not contain slashes');
}

/**
 * A remote URL checked for its protocol: http or https with a host. Plain http is allowed (lxc
 * refuses it) because `img serve` speaks plain HTTP without a certificate. For lxd, a bare
 * `host[:port]` means `https://host:8443`, as lxc reads it.
 */
export function checkRemoteUrl(url: string, protocol: string): string {
  const rules = protocolRules(protocol);
  let text = url;
  if (rules.defaultPort !== undefined && !/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) text = `https://${text}`;
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    throw new UserError(`Invalid URL: ${url}`, {code: 'InvalidRemoteUrl'});
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new UserError(`Invalid URL scheme "${parsed.protocol.slice(0, -1)}" in "${url}": only http and https URLs are supported`, {code: 'InvalidRemoteUrl'});
  if (parsed.hostname === '') throw new UserError(`Invalid URL: ${url} has no host`, {code: 'InvalidRemoteUrl'});
  if (text !== url && parsed.port === '' && rules.defaultPort !== undefined) return `https://${parsed.host}:${rules.defaultPort}`;
  return text;
}

function protocolRules(protocol: string): ProtocolRules {
  const rules = REMOTE_PROTOCOLS[protocol];
  if (!rules) throw new UserError(`Invalid protocol: ${protocol}`, {code: 'UnknownProtocol', hint: `img knows ${KNOWN_PROTOCOLS.join(', ')}`});
  return rules;
}

const keyringPath = (home: string, name: string): string => join(home, 'keyrings', `${name}.gpg`);

/** A remote that lxc lets the user change: configured and not static. */
function changeable(cfg: ImgConfig, name: string): StoredRemote {
  if (STATIC_REMOTES.some((r) => r.name === name)) throw new UserError(`Remote ${name} is static and cannot be modified`, {code: 'RemoteStatic'});
  const r = cfg.data.remotes.get(name);
  if (!r) throw new UserError(`Remote ${name} doesn't exist`, {code: 'RemoteNotFound'});
  return r;
}

/** `lxc remote add`, without contacting the server. Returns the remote as configured. */
export async function addRemote(home: string, opts: AddRemoteOptions): Promise<RemoteConfig> {
  checkRemoteName(opts.name);
  const protocol = opts.protocol ?? DEFAULT_PROTOCOL;
  const addr = checkRemoteUrl(opts.url, protocol);
  const keyring = opts.keyring === undefined ? undefined : await readKeyring(opts.keyring);
  return updateConfig(home, async (cfg, undo) => {
    const existing = cfg.remote(opts.name);
    if (existing) throw new UserError(`Remote ${opts.name} exists as <${cfg.addr(existing)}>`, {code: 'RemoteExists'});
    const stored: StoredRemote = {addr, protocol, public: REMOTE_PROTOCOLS[protocol]!.alwaysPublic || opts.public === true};
    if (keyring) {
      stored.keyring = keyringPath(home, opts.name);
      await writeKeyring(stored.keyring, keyring);
      undo(() => unlink(stored.keyring!));
    }
    const pem = await opts.certificate?.(addr, protocol);
    if (pem) {
      const cert = serverCertPath(home, opts.name);
      await writeKeyring(cert, Buffer.from(pem));
      undo(() => unlink(cert));
    }
    cfg.data.remotes.set(opts.name, stored);
    return cfg.remote(opts.name)!;
  });
}

async function readKeyring(path: string): Promise<Buffer> {
  const bytes = await readFile(path).catch((err: unknown) => userFsError(err, path));
  if (bytes.length === 0) throw new UserError(`${path}: the keyring is empty`, {code: 'InvalidKeyring'});
  return bytes;
}

async function writeKeyring(path: string, bytes: Buffer): Promise<void> {
  await mkdir(join(path, '..'), {recursive: true});
  await writeFileAtomic(path, bytes);
}

/** `lxc remote remove`: not a static remote, nor the default one. Its keyring copy goes with it. */
export async function removeRemote(home: string, name: string): Promise<void> {
  const keyring = await updateConfig(home, (cfg) => {
    const r = changeable(cfg, name);
    if (cfg.defaultRemote === name) throw new UsageError("Can't remove the default remote");
    cfg.data.remotes.delete(name);
    return r.keyring;
  });
  // After the file no longer names it: a crash in between leaves a stray copy, never a remote without its keyring.
  if (keyring) await unlink(keyring).catch(() => undefined);
  await unlink(serverCertPath(home, name)).catch(() => undefined);
}

/** `lxc remote rename`: the default remote may be renamed (the default follows it), and so is its keyring copy. */
export async function renameRemote(home: string, from: string, to: string): Promise<void> {
  await updateConfig(home, async (cfg, undo) => {
    const r = changeable(cfg, from);
    if (cfg.remote(to)) throw new UserError(`Remote ${to} already exists`, {code: 'RemoteExists'});
    checkRemoteName(to);
    if (r.keyring) {
      const old = r.keyring;
      const moved = keyringPath(home, to);
      await rename(old, moved).catch((err: unknown) => userFsError(err, old));
      undo(() => rename(moved, old));
      r.keyring = moved;
    }
    const cert = serverCertPath(home, from);
    if (existsSync(cert)) {
      const moved = serverCertPath(home, to);
      await rename(cert, moved);
      undo(() => rename(moved, cert));
    }
    cfg.data.remotes.delete(from);
    cfg.data.remotes.set(to, r);
    if (cfg.defaultRemote === from) cfg.data.defaultRemote = to;
  });
}

/** `lxc remote set-url`, with the URL checked as `add` checks it (lxc takes any text). */
export async function setRemoteUrl(home: string, name: string, url: string): Promise<void> {
  await updateConfig(home, (cfg) => {
    const r = changeable(cfg, name);
    r.addr = checkRemoteUrl(url, r.protocol);
  });
}

/** `lxc remote switch`: any remote, static ones included. */
export async function switchRemote(home: string, name: string): Promise<void> {
  await updateConfig(home, (cfg) => {
    if (!cfg.remote(name)) throw new UserError(`Remote ${name} doesn't exist`, {code: 'RemoteNotFound'});
    cfg.data.defaultRemote = name;
  });
}
