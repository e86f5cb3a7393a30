// The real gpg and gpgv, as the independent judges of what img's OpenPGP code signs and verifies.
import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {dirname, join} from 'node:path';

export type GpgKey = {
  /** The GNUPGHOME holding the secret key, for clearsign() and detachSign(). */
  home: string;
  /** Path of `gpg --export`'s output, the keyring gpgv takes. */
  publicBinary: string;
  /** Path of `gpg --armor --export`'s output. */
  publicArmored: string;
  /** The text of `gpg --armor --export-secret-keys`. */
  secretArmored: string;
  /** Upper-case hex, as gpg prints it. */
  fingerprint: string;
};

const keys = new Map<string, GpgKey>();
const homes: string[] = [];

// Prepended, so that it runs before helpers/tmp.ts removes the directories: gpgconf finds the
// agent through the socket in GNUPGHOME.
process.prependOnceListener('exit', () => {
  for (const home of homes) spawnSync('gpgconf', ['--kill', 'gpg-agent'], {env: {...process.env, GNUPGHOME: home}});
});

export function gpg(home: string, args: string[], input?: string | Uint8Array): Buffer {
  return execFileSync('gpg', ['--batch', '--quiet', '--no-tty', ...args], {env: {...process.env, GNUPGHOME: home}, input, stdio: ['pipe', 'pipe', 'pipe']});
}

/**
 * A signing key without passphrase (ed25519 unless said), made by gpg in its own GNUPGHOME under
 * dir. One key per name and process (the first call's dir holds it): later calls return the same key.
 */
export function makeGpgKey(dir: string, name = 'img test', algo = 'ed25519'): GpgKey {
  const cached = keys.get(name);
  if (cached) return cached;
  const slug = name.replace(/[^a-z0-9]+/gi, '-');
  const home = join(dir, `gnupg-${slug}`);
  mkdirSync(home, {mode: 0o700});
  homes.push(home);
  gpg(home, ['--passphrase', '', '--quick-gen-key', `${name} <${slug}@example.invalid>`, algo, 'sign', 'never']);
  const fingerprint = /^fpr:+([0-9A-F]{40}):/m.exec(gpg(home, ['--with-colons', '--list-secret-keys']).toString())![1]!;
  const publicBinary = join(dir, `${slug}.pub.gpg`);
  const publicArmored = join(dir, `${slug}.pub.asc`);
  writeFileSync(publicBinary, gpg(home, ['--export', fingerprint]));
  writeFileSync(publicArmored, gpg(home, ['--armor', '--export', fingerprint]));
  const secretArmored = gpg(home, ['--pinentry-mode', 'loopback', '--passphrase', '', '--armor', '--export-secret-keys', fingerprint]).toString();
  const key = {home, publicBinary, publicArmored, secretArmored, fingerprint};
  keys.set(name, key);
  return key;
}

/** A GNUPGHOME holding the secret keys of all of `of` (for messages signed by several keys). */
export function gpgHomeWith(dir: string, of: GpgKey[]): string {
  const home = join(dir, `gnupg-${of.map((k) => k.fingerprint.slice(-8)).join('-')}`);
  mkdirSync(home, {mode: 0o700});
  homes.push(home);
  gpg(home, ['--import'], of.map((k) => k.secretArmored).join(''));
  return home;
}

/** `gpg --clearsign`, by the home's key or by each of `signers` (fingerprints), with gpg's digest or `digest`. */
export function clearsign(home: string, inFile: string, outFile: string, signers: string[] = [], digest?: string): void {
  const opts = [...signers.flatMap((s) => ['-u', s]), ...(digest ? ['--digest-algo', digest] : [])];
  gpg(home, ['--yes', ...opts, '--output', outFile, '--clearsign', inFile]);
}

/** `gpg --detach-sign`: binary as simplestreams' `.gpg` files are, or armored. */
export function detachSign(home: string, inFile: string, outFile: string, opts: {armor?: boolean} = {}): void {
  gpg(home, ['--yes', ...(opts.armor ? ['--armor'] : []), '--output', outFile, '--detach-sign', inFile]);
}

export type GpgvVerdict = {
  /** gpgv's exit status was 0. */
  ok: boolean;
  /** Fingerprints of the good signatures (VALIDSIG lines of --status-fd). */
  good: string[];
  /** What gpgv wrote with --output (clearsigned files only; it writes the text whatever its verdict). */
  output: Buffer;
};

/** gpgv's verdict on a clearsigned file, or on data and its detached signature. */
export function gpgv(keyring: string, file: string, data?: string): GpgvVerdict {
  const out = `${file}.gpgv-out`;
  rmSync(out, {force: true});
  const args = ['--status-fd', '1', '--keyring', keyring, ...(data === undefined ? ['--output', out, file] : [file, data])];
  const r = spawnSync('gpgv', args, {env: {...process.env, GNUPGHOME: dirname(keyring)}});
  const good = [...r.stdout.toString().matchAll(/^\[GNUPG:\] VALIDSIG ([0-9A-F]{40}) /gm)].map((m) => m[1]!);
  return {ok: r.status === 0, good, output: existsSync(out) ? readFileSync(out) : Buffer.alloc(0)};
}
