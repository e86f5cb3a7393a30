import type {ImgConfig} from '../lib/config/config.js';
import type {RemoteConfig} from '../lib/config/types.js';
import {renderTable, type TableFormat} from './table.js';

const yesNo = (b: boolean | undefined): string => (b ? 'YES' : 'NO');

/** lxc's AUTH TYPE: the local store is file access, a public remote needs none, any other is TLS (lxc's default auth_type). */
function authType(r: RemoteConfig): string {
  if (r.protocol === 'local') return 'file access';
  return r.public ? 'none' : 'tls';
}

/** `lxc remote list`'s table: the default remote marked `(current)`; img has no system-wide remotes, so GLOBAL is always NO. */
export function renderRemoteTable(cfg: ImgConfig, format: TableFormat): string {
  const rows = cfg
    .remotes()
    .map((r) => [r.name === cfg.defaultRemote ? `${r.name} (current)` : r.name, cfg.addr(r), r.protocol, authType(r), yesNo(r.public), yesNo(r.static), 'NO']);
  return renderTable(['NAME', 'URL', 'PROTOCOL', 'AUTH TYPE', 'PUBLIC', 'STATIC', 'GLOBAL'], rows, format);
}

/** `lxc remote list --format json`: lxc's config.Remote by name, its Go field names as they are (no json tags), plus Keyring when set. */
export function remotesJson(cfg: ImgConfig): Record<string, Record<string, string | boolean>> {
  return Object.fromEntries(
    cfg.remotes().map((r) => [
      r.name,
      {
        Addr: cfg.addr(r),
        AuthType: authType(r) === 'tls' ? 'tls' : '',
        Domain: '',
        Project: '',
        Protocol: r.protocol,
        Public: r.public === true,
        Global: false,
        Static: r.static === true,
        ...(r.keyring ? {Keyring: r.keyring} : {}),
      },
    ]),
  );
}

/** `lxc remote list --format yaml`: the same remotes with config.yml's field names, empty ones left out. */
export function remotesYaml(cfg: ImgConfig): Record<string, Record<string, string | boolean>> {
  return Object.fromEntries(
    cfg.remotes().map((r) => [
      r.name,
      {
        addr: cfg.addr(r),
        ...(authType(r) === 'tls' ? {auth_type: 'tls'} : {}),
        protocol: r.protocol,
        public: r.public === true,
        ...(r.keyring ? {keyring: r.keyring} : {}),
      },
    ]),
  );
}
