// $IMG_HOME/config.yml: lxc's remotes and rules (observed with lxc 5.0.2, LXD_CONF set to a
// throwaway directory), LXD's settings, and updates that never lose a concurrent change.
import assert from 'node:assert/strict';
import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {describe, test} from 'node:test';
import {configFile, loadConfig, setSetting, unsetSetting, updateConfig} from '../../../src/lib/config/config.js';
import {addRemote, checkRemoteUrl, removeRemote, renameRemote, setRemoteUrl, switchRemote} from '../../../src/lib/config/remotes.js';
import {SETTING_KEYS} from '../../../src/lib/config/settings.js';
import {hasCommand} from '../../helpers/cli.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();
let n = 0;
const newHome = (): string => join(work, `home-${n++}`);

/** Rejects with a UserError of that code and, when given, that exact message. */
async function refused(p: Promise<unknown>, code: string, message?: string): Promise<void> {
  await assert.rejects(p, (err: Error & {code?: string}) => {
    assert.equal(err.code, code, err.message);
    if (message !== undefined) assert.equal(err.message, message);
    return true;
  });
}

describe('config.yml', () => {
  test('a missing file is lxc 5.0 default config, and loading it writes nothing', async () => {
    const home = newHome();
    const cfg = await loadConfig(home);
    assert.equal(cfg.defaultRemote, 'local');
    assert.deepEqual(
      cfg.remotes().map((r) => [r.name, r.protocol, r.url, r.public === true, r.static === true]),
      [
        ['images', 'simplestreams', 'https://images.linuxcontainers.org', true, false],
        ['local', 'local', undefined, false, true],
        ['ubuntu', 'simplestreams', 'https://cloud-images.ubuntu.com/releases', true, true],
        ['ubuntu-daily', 'simplestreams', 'https://cloud-images.ubuntu.com/daily', true, true],
      ],
    );
    assert.equal(existsSync(home), false);
    for (const key of SETTING_KEYS) assert.notEqual(cfg.setting(key), undefined);
    assert.equal(cfg.setting('images.auto_update_interval'), 6);
    assert.equal(cfg.setting('images.auto_update_cached'), true);
    assert.equal(cfg.setting('images.remote_cache_expiry'), 10);
    assert.equal(cfg.setting('images.compression_algorithm'), 'gzip');
    assert.equal(cfg.setting('images.remote_index_ttl'), 300);
  });

  test('the file is lxc-shaped; static remotes are never written, and ignored when a file names them', async () => {
    const home = newHome();
    await addRemote(home, {name: 'mirror', url: 'https://mirror.example', protocol: 'simplestreams'});
    assert.equal(
      readFileSync(configFile(home), 'utf8'),
      `default-remote: local
remotes:
  images:
    addr: https://images.linuxcontainers.org
    protocol: simplestreams
    public: true
  mirror:
    addr: https://mirror.example
    protocol: simplestreams
    public: true
config: {}
`,
    );
    writeFileSync(
      configFile(home),
      'remotes:\n  ubuntu: {addr: https://elsewhere.example}\n  local: {addr: "unix://", public: false}\n  old: {addr: https://old.example}\n',
    );
    const cfg = await loadConfig(home);
    assert.equal(cfg.remote('ubuntu')!.url, 'https://cloud-images.ubuntu.com/releases');
    assert.equal(cfg.remote('local')!.protocol, 'local');
    assert.deepEqual(cfg.remote('old'), {name: 'old', protocol: 'lxd', url: 'https://old.example', public: false}, 'no protocol is lxd, as in lxc');
    assert.equal(cfg.remote('images'), undefined, 'as lxc: images is a default of a missing file only');
  });

  test('damaged or mis-shaped files are ConfigDamaged, naming the file', async () => {
    const home = newHome();
    mkdirSync(home);
    for (const text of [
      'remotes: [\n',
      'remotes: 5\n',
      'remotes:\n  x: {protocol: lxd}\n',
      '- a\n',
      'default-remote: [a]\n',
      'remotes:\n  x: {addr: h, public: maybe}\n',
      'a: 1\na: 2\n',
    ]) {
      writeFileSync(configFile(home), text);
      await assert.rejects(loadConfig(home), (err: Error & {code?: string}) => {
        assert.equal(err.code, 'ConfigDamaged', text);
        assert.ok(err.message.startsWith(`Unable to decode the configuration ${configFile(home)}: `), err.message);
        assert.doesNotMatch(err.message, /\n/);
        return true;
      });
    }
    writeFileSync(configFile(home), '');
    assert.equal((await loadConfig(home)).defaultRemote, 'local', 'an empty file is an empty config');
  });

  test('add: lxc rules and words', async () => {
    const home = newHome();
    await refused(
      addRemote(home, {name: 'images', url: 'https://x.example', protocol: 'simplestreams'}),
      'RemoteExists',
      'Remote images exists as <https://images.linuxcontainers.org>',
    );
    await refused(
      addRemote(home, {name: 'ubuntu', url: 'https://x.example'}),
      'RemoteExists',
      'Remote ubuntu exists as <https://cloud-images.ubuntu.com/releases>',
    );
    await refused(addRemote(home, {name: 'a:b', url: 'https://x.example'}), 'Usage', 'Remote names may not contain colons');
    await refused(addRemote(home, {name: 'a/b', url: 'https://x.example'}), 'Usage');
    await refused(addRemote(home, {name: '', url: 'https://x.example'}), 'Usage');
    await refused(addRemote(home, {name: 'x', url: 'https://x.example', protocol: 'foo'}), 'UnknownProtocol', 'Invalid protocol: foo');
    for (const url of ['ftp://x.example', 'https://', 'x.example', 'https://h ex', 'unix:///tmp/sock'])
      await refused(addRemote(home, {name: 'x', url, protocol: 'simplestreams'}), 'InvalidRemoteUrl');
    const ss = await addRemote(home, {name: 'ss', url: 'https://ss.example/p/', protocol: 'simplestreams', public: false});
    assert.deepEqual(
      ss,
      {name: 'ss', protocol: 'simplestreams', url: 'https://ss.example/p/', public: true},
      'simplestreams is always public, the URL kept as given',
    );
    const lxd = await addRemote(home, {name: 'srv', url: '10.0.0.1'});
    assert.deepEqual(
      lxd,
      {name: 'srv', protocol: 'lxd', url: 'https://10.0.0.1:8443', public: false},
      'lxd is the default protocol; a bare host is https on 8443',
    );
    assert.equal((await addRemote(home, {name: 'pub', url: 'http://127.0.0.1:8080', public: true})).public, true);
    assert.equal(existsSync(join(home, 'keyrings')), false);
  });

  test('URLs: http(s) with a host; lxd reads a bare host[:port] as lxc does', () => {
    assert.equal(checkRemoteUrl('example.org', 'lxd'), 'https://example.org:8443');
    assert.equal(checkRemoteUrl('example.org:9443', 'lxd'), 'https://example.org:9443');
    assert.equal(checkRemoteUrl('[::1]', 'lxd'), 'https://[::1]:8443');
    assert.equal(checkRemoteUrl('https://example.org', 'lxd'), 'https://example.org');
    assert.equal(checkRemoteUrl('http://127.0.0.1:8080/x', 'simplestreams'), 'http://127.0.0.1:8080/x');
    assert.throws(() => checkRemoteUrl('example.org', 'simplestreams'), {code: 'InvalidRemoteUrl'});
    assert.throws(() => checkRemoteUrl('file:///srv', 'lxd'), {code: 'InvalidRemoteUrl'});
  });

  test('remove, rename, set-url, switch: lxc rules and words', async () => {
    const home = newHome();
    for (const name of ['local', 'ubuntu', 'ubuntu-daily']) {
      const msg = `Remote ${name} is static and cannot be modified`;
      await refused(removeRemote(home, name), 'RemoteStatic', msg);
      await refused(renameRemote(home, name, 'x'), 'RemoteStatic', msg);
      await refused(setRemoteUrl(home, name, 'https://x.example'), 'RemoteStatic', msg);
    }
    await refused(removeRemote(home, 'nope'), 'RemoteNotFound', "Remote nope doesn't exist");
    await refused(renameRemote(home, 'nope', 'x'), 'RemoteNotFound', "Remote nope doesn't exist");
    await refused(setRemoteUrl(home, 'nope', 'https://x.example'), 'RemoteNotFound', "Remote nope doesn't exist");
    await refused(switchRemote(home, 'nope'), 'RemoteNotFound', "Remote nope doesn't exist");
    await refused(renameRemote(home, 'images', 'ubuntu'), 'RemoteExists', 'Remote ubuntu already exists');
    await refused(renameRemote(home, 'images', 'images'), 'RemoteExists', 'Remote images already exists');
    await refused(renameRemote(home, 'images', 'a:b'), 'Usage');
    await refused(setRemoteUrl(home, 'images', 'ftp://x.example'), 'InvalidRemoteUrl');

    await switchRemote(home, 'images');
    await refused(removeRemote(home, 'images'), 'Usage', "Can't remove the default remote");
    await renameRemote(home, 'images', 'lxc-images');
    assert.equal((await loadConfig(home)).defaultRemote, 'lxc-images', 'the default follows a rename, as in lxc');
    await setRemoteUrl(home, 'lxc-images', 'https://mirror.example/images');
    assert.equal((await loadConfig(home)).remote('lxc-images')!.url, 'https://mirror.example/images');
    await switchRemote(home, 'ubuntu');
    assert.equal((await loadConfig(home)).defaultRemote, 'ubuntu', 'a static remote can be the default');
    await removeRemote(home, 'lxc-images');
    assert.deepEqual(
      (await loadConfig(home)).remotes().map((r) => r.name),
      ['local', 'ubuntu', 'ubuntu-daily'],
      'removed for good',
    );
  });

  test('keyring: copied under keyrings/, renamed with its remote, removed with it', async () => {
    const home = newHome();
    const src = join(work, 'keys.gpg');
    writeFileSync(src, 'stand-in keyring bytes');
    await refused(addRemote(home, {name: 'k', url: 'https://k.example', protocol: 'simplestreams', keyring: join(work, 'absent.gpg')}), 'FileNotFound');
    writeFileSync(join(work, 'empty.gpg'), '');
    await refused(addRemote(home, {name: 'k', url: 'https://k.example', protocol: 'simplestreams', keyring: join(work, 'empty.gpg')}), 'InvalidKeyring');
    await refused(addRemote(home, {name: 'k', url: 'https://k.example', protocol: 'simplestreams', keyring: work}), 'IsDirectory');

    const added = await addRemote(home, {name: 'k', url: 'https://k.example', protocol: 'simplestreams', keyring: src});
    const copy = join(home, 'keyrings', 'k.gpg');
    assert.equal(added.keyring, copy);
    assert.equal(readFileSync(copy, 'utf8'), 'stand-in keyring bytes');
    writeFileSync(src, 'changed later');
    assert.equal(readFileSync(copy, 'utf8'), 'stand-in keyring bytes', 'a copy, not a link');
    await refused(addRemote(home, {name: 'k', url: 'https://k.example', protocol: 'simplestreams', keyring: src}), 'RemoteExists');
    assert.equal(readFileSync(copy, 'utf8'), 'stand-in keyring bytes', 'a refused add leaves the copy alone');

    await renameRemote(home, 'k', 'k2');
    const moved = join(home, 'keyrings', 'k2.gpg');
    assert.equal(existsSync(copy), false);
    assert.equal((await loadConfig(home)).remote('k2')!.keyring, moved);
    assert.equal(readFileSync(moved, 'utf8'), 'stand-in keyring bytes');
    await setRemoteUrl(home, 'k2', 'https://k2.example');
    assert.equal((await loadConfig(home)).remote('k2')!.keyring, moved, 'set-url keeps the keyring');

    await removeRemote(home, 'k2');
    assert.equal(existsSync(moved), false);
  });

  test('updates under the lock: concurrent changes in one process all survive', async () => {
    const home = newHome();
    const names = Array.from({length: 12}, (_, i) => `r${i}`);
    await Promise.all([
      ...names.map((name) => addRemote(home, {name, url: `https://${name}.example`, protocol: 'simplestreams'})),
      setSetting(home, 'images.remote_index_ttl', '60'),
    ]);
    const cfg = await loadConfig(home);
    for (const name of names) assert.ok(cfg.remote(name), name);
    assert.equal(cfg.setting('images.remote_index_ttl'), 60);
    assert.equal(existsSync(join(home, 'config.lock')), true);
  });

  test('a change that throws leaves the file as it was', async () => {
    const home = newHome();
    await setSetting(home, 'images.auto_update_interval', '3');
    const before = readFileSync(configFile(home), 'utf8');
    await assert.rejects(
      updateConfig(home, (cfg) => {
        cfg.data.settings.set('images.auto_update_interval', '4');
        throw new Error('no');
      }),
      /no/,
    );
    assert.equal(readFileSync(configFile(home), 'utf8'), before);
  });
});

describe('settings', () => {
  test('set, get typed, unset; LXD booleans; an empty value unsets', async () => {
    const home = newHome();
    await setSetting(home, 'images.auto_update_interval', '0');
    await setSetting(home, 'images.auto_update_cached', 'off');
    await setSetting(home, 'images.compression_algorithm', 'zstd');
    let cfg = await loadConfig(home);
    assert.equal(cfg.setting('images.auto_update_interval'), 0);
    assert.equal(cfg.setting('images.auto_update_cached'), false);
    assert.equal(cfg.setting('images.compression_algorithm'), 'zstd');
    assert.deepEqual(cfg.changedSettings(), {'images.auto_update_cached': 'off', 'images.auto_update_interval': '0', 'images.compression_algorithm': 'zstd'});
    await unsetSetting(home, 'images.auto_update_interval');
    await setSetting(home, 'images.compression_algorithm', '');
    cfg = await loadConfig(home);
    assert.equal(cfg.setting('images.auto_update_interval'), 6);
    assert.deepEqual(cfg.changedSettings(), {'images.auto_update_cached': 'off'});
    assert.match(readFileSync(configFile(home), 'utf8'), /\nconfig:\n {2}images\.auto_update_cached: "off"\n/, 'quoted so that yaml.v2 reads a string');
  });

  test('unknown keys and bad values are refused before anything is written', async () => {
    const home = newHome();
    await assert.rejects(setSetting(home, 'images.nope', '1'), (err: Error & {code?: string; hint?: string}) => {
      assert.equal(err.code, 'UnknownConfigKey');
      assert.equal(err.hint, `img knows ${SETTING_KEYS.join(', ')}`);
      return true;
    });
    await refused(unsetSetting(home, 'core.https_address'), 'UnknownConfigKey');
    for (const [key, value] of [
      ['images.auto_update_interval', '-1'],
      ['images.auto_update_interval', '1.5'],
      ['images.remote_cache_expiry', 'ten'],
      ['images.remote_index_ttl', '99999999999999999999'],
      ['images.auto_update_cached', 'maybe'],
      ['images.compression_algorithm', 'lz4'],
    ] as const)
      await refused(setSetting(home, key, value), 'InvalidConfigValue');
    assert.equal(existsSync(home), false);
    await assert.rejects(setSetting(home, 'images.remote_cache_expiry', 'x'), {
      message: 'Invalid value for images.remote_cache_expiry: "x" (expected a whole number of days, 0 or more)',
    });
  });

  test('hand-written values: numbers and booleans are their text; a bad one is refused on use, naming the file', async () => {
    const home = newHome();
    mkdirSync(home);
    writeFileSync(configFile(home), 'config:\n  images.auto_update_interval: 12\n  images.auto_update_cached: false\n  images.remote_index_ttl: soon\n');
    const cfg = await loadConfig(home);
    assert.equal(cfg.setting('images.auto_update_interval'), 12);
    assert.equal(cfg.setting('images.auto_update_cached'), false);
    assert.throws(() => cfg.setting('images.remote_index_ttl'), {code: 'InvalidConfigValue', message: new RegExp(`in ${configFile(home)}: "soon"`)});
  });
});

describe('config.yml read by the real lxc', {skip: hasCommand('lxc') ? false : 'lxc not installed'}, () => {
  test('lxc 5.0 reads img config.yml as its own: remotes, default, keyring ignored', async () => {
    const home = newHome();
    writeFileSync(join(work, 'k.gpg'), 'bytes');
    await addRemote(home, {name: 'y', url: 'https://y.example', protocol: 'simplestreams', keyring: join(work, 'k.gpg')});
    await addRemote(home, {name: 'srv', url: 'srv.example'});
    await switchRemote(home, 'y');
    const r = spawnSync('lxc', ['remote', 'list', '--format', 'json'], {env: {...process.env, LXD_CONF: home}, encoding: 'utf8'});
    assert.equal(r.status, 0, r.stderr);
    const remotes = JSON.parse(r.stdout) as Record<string, {Addr: string; Protocol: string; Public: boolean}>;
    assert.deepEqual(Object.keys(remotes), ['images', 'local', 'srv', 'ubuntu', 'ubuntu-daily', 'y']);
    assert.deepEqual([remotes.y!.Addr, remotes.y!.Protocol, remotes.y!.Public], ['https://y.example', 'simplestreams', true]);
    assert.deepEqual([remotes.srv!.Addr, remotes.srv!.Protocol, remotes.srv!.Public], ['https://srv.example:8443', 'lxd', false]);
    const def = spawnSync('lxc', ['remote', 'get-default'], {env: {...process.env, LXD_CONF: home}, encoding: 'utf8'});
    assert.equal(def.stdout, 'y\n');
  });
});
