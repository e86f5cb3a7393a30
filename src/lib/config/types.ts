/**
 * img's configuration as it is kept in `$IMG_HOME/config.yml`: the remotes (lxc's
 * `~/.config/lxc/config.yml` `remotes:` map) and the settings LXD keeps as server config.
 */

/** A configured remote: a name, the protocol spoken there and where. */
export interface RemoteConfig {
  name: string;
  /** `local`, `simplestreams`, `lxd` (and `imgapi`, `dsapi` once the SmartOS issue lands). */
  protocol: string;
  url?: string;
  /** lxc's `public`: a remote that needs no trust (every simplestreams remote is). */
  public?: boolean;
  /** Path of the remote's OpenPGP keyring (a copy kept under `$IMG_HOME/keyrings/`): only signed indexes are read. */
  keyring?: string;
  /** The server's certificate (a PEM file under `$IMG_HOME/servercerts/`, as lxc keeps them), pinned: the only one trusted for this remote. */
  certificate?: string;
  /** Built in: cannot be removed, renamed or pointed elsewhere (`local`). */
  static?: boolean;
}

export const LOCAL_REMOTE: RemoteConfig = {name: 'local', protocol: 'local', static: true};
