// `img remote add|list|remove|rename|set-url|get-default|switch`, as lxc 5.0.2's (its words and
// formats observed with LXD_CONF set to a throwaway directory).
import assert from 'node:assert/strict';
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {pathToFileURL} from 'node:url';
import {describe, test} from 'node:test';
import {spawn, spawnSync} from 'node:child_process';
import {connect} from 'node:net';
import {hasCommand, img, imgAsync, isCleanError} from '../../helpers/cli.js';
import {makeTestCa} from '../../helpers/https.js';
import {makeGpgKey} from '../../helpers/gpg.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();
let n = 0;
/** A fresh $IMG_HOME and a runner for it. */
function home(env: NodeJS.ProcessEnv = {}): {home: string; run: (args: string[]) => ReturnType<typeof img>} {
  const h = join(work, `home-${n++}`);
  return {home: h, run: (args) => img(args, {home: h, env})};
}

/**
 * A TLS server on 127.0.0.1 in a process of its own (openssl s_server), so that the synchronous
 * runs of img here can reach it: `remote add` of an https LXD server looks at its certificate.
 */
async function tlsServer(cert: string, key: string): Promise<{port: number; stop: () => void}> {
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn('openssl', ['s_server', '-www', '-accept', `127.0.0.1:${port}`, '-cert', cert, '-key', key], {stdio: 'ignore'});
  for (let i = 0; i < 100; i++) {
    const up = await new Promise<boolean>((r) => {
      // Closed at once: s_server serves one connection at a time, and a half-closed probe would hold it.
      const s = connect(port, '127.0.0.1', () => r(s.destroy() !== undefined)).on('error', () => r(false));
    });
    if (up) return {port, stop: () => child.kill()};
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill();
  throw new Error('openssl s_server did not start');
}

const ok = (r: ReturnType<typeof img>): string => {
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
};

describe('img remote', () => {
  test("list: lxc's table, csv and compact; the default remote marked (current)", () => {
    const {home: h, run} = home();
    const local = pathToFileURL(h).href;
    assert.equal(
      ok(run(['remote', 'list', '--format', 'csv'])),
      `images,https://images.linuxcontainers.org,simplestreams,none,YES,NO,NO
local (current),${local},local,file access,NO,YES,NO
ubuntu,https://cloud-images.ubuntu.com/releases,simplestreams,none,YES,YES,NO
ubuntu-daily,https://cloud-images.ubuntu.com/daily,simplestreams,none,YES,YES,NO
`,
    );
    const table = ok(run(['remote', 'list'])).split('\n');
    assert.match(table[1]!, /^\| +NAME +\| +URL +\| +PROTOCOL +\| +AUTH TYPE +\| PUBLIC \| STATIC \| GLOBAL \|$/);
    assert.match(table[3]!, /^\| images +\| https:\/\/images\.linuxcontainers\.org +\| simplestreams \| none +\| YES +\| NO +\| NO +\|$/);
    assert.equal(table.filter((l) => l.startsWith('+')).length, 6);
    assert.match(ok(run(['remote', 'list', '--format', 'compact'])), /^ +NAME +URL +PROTOCOL +AUTH TYPE +PUBLIC +STATIC +GLOBAL +\n/);
    assert.equal(existsSync(h), false, 'listing writes nothing');
  });

  test("list --format json is lxc's map of config.Remote (plus Keyring); yaml uses config.yml's names", async (t) => {
    const ca = makeTestCa(work);
    const server = await tlsServer(ca.cert, ca.key);
    t.after(server.stop);
    const {run} = home({NODE_EXTRA_CA_CERTS: ca.caCert});
    ok(run(['remote', 'add', 'srv', `127.0.0.1:${server.port}`]));
    ok(run(['remote', 'switch', 'srv']));
    const json = JSON.parse(ok(run(['remote', 'list', '--format', 'json']))) as Record<string, Record<string, unknown>>;
    assert.deepEqual(Object.keys(json), ['images', 'local', 'srv', 'ubuntu', 'ubuntu-daily']);
    assert.deepEqual(json.images, {
      Addr: 'https://images.linuxcontainers.org',
      AuthType: '',
      Domain: '',
      Project: '',
      Protocol: 'simplestreams',
      Public: true,
      Global: false,
      Static: false,
    });
    assert.deepEqual(json.srv, {
      Addr: `https://127.0.0.1:${server.port}`,
      AuthType: 'tls',
      Domain: '',
      Project: '',
      Protocol: 'lxd',
      Public: false,
      Global: false,
      Static: false,
    });
    assert.equal(json.ubuntu!.Static, true);
    const yaml = ok(run(['remote', 'list', '--format', 'yaml']));
    assert.match(yaml, /^images:\n {2}addr: https:\/\/images\.linuxcontainers\.org\n {2}protocol: simplestreams\n {2}public: true\n/);
    assert.ok(yaml.includes(`\nsrv:\n  addr: https://127.0.0.1:${server.port}\n  auth_type: tls\n  protocol: lxd\n  public: false\n`), yaml);
    assert.ok(ok(run(['remote', 'list', '--format', 'csv'])).includes(`\nsrv (current),https://127.0.0.1:${server.port},lxd,tls,NO,NO,NO\n`));
  });

  test('an https LXD server whose certificate the system does not trust is refused, or pinned with --accept-certificate', async (t) => {
    const d = join(work, 'self-signed');
    mkdirSync(d, {recursive: true});
    const gen = spawnSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-keyout',
        'k.pem',
        '-out',
        'c.pem',
        '-days',
        '30',
        '-subj',
        '/CN=lxd',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      {cwd: d},
    );
    assert.equal(gen.status, 0);
    const server = await tlsServer(join(d, 'c.pem'), join(d, 'k.pem'));
    t.after(server.stop);
    const {home: h, run} = home();
    const refused = run(['remote', 'add', 'lxd1', `https://127.0.0.1:${server.port}`]);
    assert.equal(refused.code, 1);
    assert.ok(isCleanError(refused.stderr), refused.stderr);
    assert.match(
      refused.stderr,
      /the certificate of https:\/\/127\.0\.0\.1:\d+ is not trusted \(.*\); its sha256 fingerprint is [0-9a-f]{64} \(if that is the server you mean, run again with --accept-certificate to pin it\)/,
    );
    assert.equal(existsSync(join(h, 'servercerts', 'lxd1.crt')), false);
    const pinned = run(['remote', 'add', 'lxd1', `https://127.0.0.1:${server.port}`, '--accept-certificate']);
    assert.match(ok(pinned), /^Certificate fingerprint: [0-9a-f]{64} \(pinned\)\n$/);
    assert.equal(readFileSync(join(h, 'servercerts', 'lxd1.crt'), 'utf8'), readFileSync(join(d, 'c.pem'), 'utf8'));
    ok(run(['remote', 'rename', 'lxd1', 'lxd2']));
    assert.ok(existsSync(join(h, 'servercerts', 'lxd2.crt')) && !existsSync(join(h, 'servercerts', 'lxd1.crt')), 'the pinned certificate follows a rename');
    ok(run(['remote', 'remove', 'lxd2']));
    assert.equal(existsSync(join(h, 'servercerts', 'lxd2.crt')), false);
  });

  test("add, set-url, rename, switch, get-default, remove; lxc's errors as one clean line", () => {
    const {run} = home();
    const fails = (args: string[], stderr: string, code = 1): void => {
      const r = run(args);
      assert.equal(r.stderr, `Error: ${stderr}\n`, args.join(' '));
      assert.equal(r.code, code, args.join(' '));
    };
    assert.equal(ok(run(['remote', 'add', 'mirror', 'https://mirror.example/streams', '--protocol', 'simplestreams'])), '');
    fails(['remote', 'add', 'mirror', 'https://x.example', '--protocol', 'simplestreams'], 'Remote mirror exists as <https://mirror.example/streams>');
    fails(['remote', 'add', 'ubuntu', 'https://x.example'], 'Remote ubuntu exists as <https://cloud-images.ubuntu.com/releases>');
    fails(['remote', 'add', 'a:b', 'https://x.example'], 'Remote names may not contain colons', 2);
    fails(['remote', 'add', 'x', 'https://x.example', '--protocol', 'foo'], 'Invalid protocol: foo (img knows simplestreams, lxd)');
    fails(['remote', 'add', 'x', 'ftp://x.example'], 'Invalid URL scheme "ftp" in "ftp://x.example": only http and https URLs are supported');
    fails(['remote', 'remove', 'ubuntu'], 'Remote ubuntu is static and cannot be modified');
    fails(['remote', 'rename', 'local', 'mine'], 'Remote local is static and cannot be modified');
    fails(['remote', 'set-url', 'ubuntu-daily', 'https://x.example'], 'Remote ubuntu-daily is static and cannot be modified');
    fails(['remote', 'remove', 'nope'], "Remote nope doesn't exist");
    fails(['remote', 'switch', 'nope'], "Remote nope doesn't exist");
    fails(['remote', 'rename', 'mirror', 'images'], 'Remote images already exists');
    const json = run(['remote', 'add', 'mirror', 'https://x.example', '--format', 'json']);
    assert.equal(json.code, 2, 'remote add has no --format');

    ok(run(['remote', 'set-url', 'mirror', 'http://127.0.0.1:8080']));
    ok(run(['remote', 'switch', 'mirror']));
    assert.equal(ok(run(['remote', 'get-default'])), 'mirror\n');
    fails(['remote', 'remove', 'mirror'], "Can't remove the default remote", 2);
    ok(run(['remote', 'rename', 'mirror', 'serve']));
    assert.equal(ok(run(['remote', 'get-default'])), 'serve\n', 'the default follows a rename, as in lxc');
    assert.match(ok(run(['remote', 'list', '--format', 'csv'])), /\nserve \(current\),http:\/\/127\.0\.0\.1:8080,simplestreams,none,YES,NO,NO\n/);
    ok(run(['remote', 'switch', 'local']));
    ok(run(['remote', 'remove', 'serve']));
    ok(run(['remote', 'remove', 'images']));
    assert.equal(
      ok(run(['remote', 'list', '--format', 'csv']))
        .split('\n')
        .map((l) => l.split(',')[0])
        .join(' '),
      'local (current) ubuntu ubuntu-daily ',
      'images, once removed, stays removed',
    );
  });

  test('--keyring: checked as an OpenPGP keyring, copied, renamed and removed with the remote', {skip: hasCommand('gpg') ? false : 'gpg not installed'}, () => {
    const {home: h, run} = home();
    const key = makeGpgKey(work);
    const notKey = join(work, 'not-a-key.txt');
    writeFileSync(notKey, 'hello\n');
    const refused = run(['remote', 'add', 'signed', 'https://s.example', '--protocol', 'simplestreams', '--keyring', notKey]);
    assert.equal(refused.code, 1);
    assert.ok(isCleanError(refused.stderr), refused.stderr);
    assert.match(refused.stderr, /not an OpenPGP keyring/);
    assert.equal(existsSync(join(h, 'keyrings')), false);
    const missing = run(['remote', 'add', 'signed', 'https://s.example', '--protocol', 'simplestreams', '--keyring', join(work, 'absent.gpg')]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /absent\.gpg: no such file or directory/);

    ok(run(['remote', 'add', 'signed', 'https://s.example', '--protocol', 'simplestreams', '--keyring', key.publicArmored]));
    const copy = join(h, 'keyrings', 'signed.gpg');
    assert.deepEqual(readFileSync(copy), readFileSync(key.publicArmored));
    const listed = () => JSON.parse(ok(run(['remote', 'list', '--format', 'json']))) as Record<string, {Keyring?: string}>;
    assert.equal(listed().signed!.Keyring, copy);
    assert.equal(listed().images!.Keyring, undefined, 'only when set');
    assert.match(ok(run(['remote', 'list', '--format', 'yaml'])), new RegExp(`\nsigned:\n(?: {2}.*\n)* {2}keyring: ${copy}\n`));

    ok(run(['remote', 'rename', 'signed', 'signed2']));
    const moved = join(h, 'keyrings', 'signed2.gpg');
    assert.equal(existsSync(copy), false);
    assert.deepEqual(readFileSync(moved), readFileSync(key.publicArmored));
    assert.equal(listed().signed2!.Keyring, moved);
    ok(run(['remote', 'remove', 'signed2']));
    assert.equal(existsSync(moved), false);
    ok(run(['remote', 'add', 'binary', 'https://b.example', '--protocol', 'simplestreams', '--keyring', key.publicBinary]));
    assert.deepEqual(readFileSync(join(h, 'keyrings', 'binary.gpg')), readFileSync(key.publicBinary), 'binary keyrings too');
  });

  test('two `img remote add` processes at once both survive', async () => {
    const {home: h, run} = home();
    const names = ['one', 'two', 'three', 'four'];
    const results = await Promise.all(
      names.map((name) => imgAsync(['remote', 'add', name, `https://${name}.example`, '--protocol', 'simplestreams'], {home: h})),
    );
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const json = JSON.parse(ok(run(['remote', 'list', '--format', 'json']))) as Record<string, {Addr: string}>;
    for (const name of names) assert.equal(json[name]?.Addr, `https://${name}.example`, name);
  });

  test('a damaged config.yml is one clean ConfigDamaged line, for remote and image commands alike', () => {
    const {home: h, run} = home();
    ok(run(['remote', 'add', 'x', 'https://x.example', '--protocol', 'simplestreams']));
    writeFileSync(join(h, 'config.yml'), 'remotes: [\n');
    for (const args of [
      ['remote', 'list'],
      ['remote', 'add', 'y', 'https://y.example'],
      ['image', 'list'],
      ['config', 'get', 'images.remote_index_ttl'],
    ]) {
      const r = run(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.ok(isCleanError(r.stderr), r.stderr);
      assert.ok(r.stderr.startsWith(`Error: Unable to decode the configuration ${join(h, 'config.yml')}: `), r.stderr);
    }
    const json = run(['remote', 'list', '--format', 'json']);
    assert.equal(JSON.parse(json.stderr.split('\n')[1]!).code, 'ConfigDamaged');
  });

  test('listings without a remote use the default remote; an image reference still means local', () => {
    const {home: h, run} = home();
    assert.equal(ok(run(['image', 'list', '--format', 'json'])), '[]\n');
    // A protocol no img has: listing it fails in a way that names the remote, whatever the network.
    mkdirSync(h, {recursive: true});
    writeFileSync(join(h, 'config.yml'), 'default-remote: odd\nremotes:\n  odd: {addr: "https://odd.example", protocol: nonesuch, public: true}\n');
    const wrong = 'Error: The remote "odd" speaks nonesuch, which img does not know\n';
    assert.equal(run(['image', 'list']).stderr, wrong);
    assert.equal(run(['image', 'alias', 'list']).stderr, wrong);
    assert.equal(run(['image', 'list', 'os=x']).stderr, wrong, 'a key=value filter is not a remote');
    assert.equal(ok(run(['image', 'list', 'local:', '--format', 'json'])), '[]\n');
    assert.equal(ok(run(['image', 'alias', 'list', 'local:', '--format', 'json'])), '[]\n');
    assert.equal(run(['image', 'info', 'nothing']).code, 3, 'image references are local: not found there');
  });
});
