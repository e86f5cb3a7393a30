// OpenPGP keyrings and signature checks for simplestreams feeds: clearsigned `.sjson` files and
// detached `.gpg` signatures, judged as gpgv judges them (test/lib/sign/openpgp.test.ts holds
// the two side by side).
//
// Verdicts:
// - A message may carry several signatures (gpg -u A -u B). It is good when at least one is a
//   good signature by a key of the keyring and none by a key of the keyring is bad; signatures
//   by other keys are ignored. That is apt's reading of gpgv's report; gpgv's own exit status is
//   2 as soon as one signature's key is missing, even next to a good one.
// - Keys: openpgp's defaults. The signing key must have been valid when the signature was made:
//   not expired then, not revoked then (a revocation for "retired" or "superseded" counts from
//   its date, any other revocation counts always). The signature itself must not be expired, nor
//   made in the future. DSA and ElGamal keys, RSA under 2047 bits and SHA-1/MD5/RIPEMD-160 message
//   signatures are refused, where gpgv 2.2 accepts at least SHA-1 (the test shows it).
// - Text around the clearsigned block is ignored, as gpgv ignores it; two signed blocks in one
//   file are refused, as gpgv refuses them ("multiple plaintexts seen").
import type {Readable} from 'node:stream';
import {readFile} from 'node:fs/promises';
import type {PublicKey, Signature, VerifyMessageResult} from 'openpgp';
import {UserError, userFsError} from '../errors.js';
import {openpgp} from './load.js';
import {drain, toWebStream} from './streams.js';

type OpenPgp = Awaited<ReturnType<typeof openpgp>>;

export {signClearsigned, signDetached} from './sign.js';

/** Public keys to verify signatures with. */
export interface Keyring {
  /** The primary keys' fingerprints, upper-case hex as gpg prints them. */
  readonly fingerprints: readonly string[];
  readonly keys: readonly PublicKey[];
}

/** Read a keyring file: `gpg --export` or `gpg --armor --export` output, possibly several concatenated. */
export async function loadKeyring(path: string): Promise<Keyring> {
  let data: Buffer;
  try {
    data = await readFile(path);
  } catch (err) {
    userFsError(err, path);
  }
  return keyringFromBytes(data, path);
}

const ARMORED_BLOCK = /-----BEGIN PGP ([A-Z ]+)-----[\s\S]*?-----END PGP \1-----/g;

export async function keyringFromBytes(data: Uint8Array, what: string): Promise<Keyring> {
  const pgp = await openpgp();
  const invalid = (why: string, cause?: unknown) => new UserError(`${what}: not an OpenPGP keyring (${why})`, {code: 'InvalidKeyring', cause});
  if (data.length === 0) throw invalid('empty file');
  let keys: Awaited<ReturnType<OpenPgp['readKeys']>>;
  try {
    // Every OpenPGP packet header has the top bit set; armor is ASCII.
    if ((data[0]! & 0x80) !== 0) {
      keys = await pgp.readKeys({binaryKeys: data});
    } else {
      const blocks = [...Buffer.from(data).toString('latin1').matchAll(ARMORED_BLOCK)];
      if (blocks.some((b) => b[1] === 'PRIVATE KEY BLOCK')) throw invalid('it holds a secret key: give the output of gpg --export');
      const armored = blocks.filter((b) => b[1] === 'PUBLIC KEY BLOCK').map((b) => b[0]);
      if (armored.length === 0) throw invalid('no PGP PUBLIC KEY BLOCK in it');
      keys = (await Promise.all(armored.map((armoredKeys) => pgp.readKeys({armoredKeys})))).flat();
    }
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw invalid(reason(err), err);
  }
  if (keys.some((k) => k.isPrivate())) throw invalid('it holds a secret key: give the output of gpg --export');
  if (keys.length === 0) throw invalid('no public key in it');
  return {keys: keys as PublicKey[], fingerprints: keys.map((k) => k.getFingerprint().toUpperCase())};
}

const SIGNED_HEADER = /^-----BEGIN PGP SIGNED MESSAGE-----[ \t\r]*$/gm;

/**
 * The payload of a clearsigned message, once a signature by the keyring verifies: the signed
 * text with dash-escaping undone, trailing spaces and tabs of each line removed (they are not
 * signed), lines ending in "\n" and a final "\n", as gpgv --output writes it. A file that ends in
 * a newline and has no trailing blanks comes back byte for byte.
 */
export async function verifyClearsigned(text: string, keyring: Keyring, what: string): Promise<string> {
  const headers = text.match(SIGNED_HEADER)?.length ?? 0;
  if (headers === 0) throw new UserError(`${what}: not signed (expected an OpenPGP clearsigned file)`, {code: 'NotSigned'});
  if (headers > 1) throw badSignature(what, 'more than one signed message in the file');
  const pgp = await openpgp();
  let message: Awaited<ReturnType<OpenPgp['readCleartextMessage']>>;
  try {
    message = await pgp.readCleartextMessage({cleartextMessage: text});
  } catch (err) {
    throw badSignature(what, `malformed: ${reason(err)}`, err);
  }
  const result = await pgp.verify({message, verificationKeys: [...keyring.keys]});
  await judge(result.signatures, keyring, what, 'the signed text');
  // getText() is the text the signatures were checked over, not anything re-read from `text`.
  return `${message.getText()}\n`;
}

/** Check a detached signature (binary as `gpg --detach-sign` writes it, or armored) over data, read as a stream. */
export async function verifyDetached(data: Uint8Array | Readable, signature: Uint8Array, keyring: Keyring, what: string): Promise<void> {
  const pgp = await openpgp();
  let sig: Signature;
  try {
    sig = await readSignature(pgp, signature);
  } catch (err) {
    // The stream was handed over to be read to its end; it will not be.
    if (!(data instanceof Uint8Array)) data.destroy();
    throw badSignature(what, `malformed signature: ${reason(err)}`, err);
  }
  const source = data instanceof Uint8Array ? undefined : toWebStream(data);
  const message = await pgp.createMessage({binary: source ? source.stream : data});
  let signatures;
  try {
    const result = await pgp.verify({message, signature: sig, verificationKeys: [...keyring.keys], format: 'binary'});
    signatures = result.signatures;
    // The digests are computed as the data flows through, so it has to be read to its end first.
    await drain(result.data);
  } catch (err) {
    throw source?.error() ?? err;
  }
  if (source?.error()) throw source.error();
  await judge(signatures, keyring, what, 'the data');
}

async function readSignature(pgp: OpenPgp, signature: Uint8Array): Promise<Signature> {
  if (signature.length === 0) throw new Error('empty file');
  if ((signature[0]! & 0x80) !== 0) return pgp.readSignature({binarySignature: signature});
  return pgp.readSignature({armoredSignature: Buffer.from(signature).toString('latin1')});
}

type Verification = VerifyMessageResult['signatures'][number];

async function judge(signatures: Verification[], keyring: Keyring, what: string, subject: string): Promise<void> {
  if (signatures.length === 0) throw badSignature(what, 'no signature in it');
  const outcomes = await Promise.all(
    signatures.map((s) =>
      s.verified.then(
        () => undefined,
        (err: unknown) => err,
      ),
    ),
  );
  const known = (s: Verification) => keyring.keys.some((k) => k.getKeys(s.keyID).length > 0);
  const bad = outcomes.findIndex((err, i) => err !== undefined && known(signatures[i]!));
  if (bad >= 0) throw badSignature(what, explain(outcomes[bad], subject), outcomes[bad]);
  if (outcomes.some((err) => err === undefined)) return;
  const ids = signatures.map((s) => s.keyID.toHex().toUpperCase());
  throw badSignature(what, `signed by ${ids.join(', ')}, ${ids.length > 1 ? 'keys' : 'a key'} not in the keyring`);
}

function explain(err: unknown, subject: string): string {
  const message = reason(err);
  if (/^(Signed digest did not match|Signature verification failed)$/.test(message)) return `${subject} does not match its signature`;
  return message;
}

function badSignature(what: string, why: string, cause?: unknown): UserError {
  return new UserError(`${what}: bad signature (${why})`, {code: 'BadSignature', cause});
}

function reason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/^Error [a-z ]+: /, '');
}
