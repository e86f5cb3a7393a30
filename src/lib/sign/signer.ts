/**
 * A signing key loaded once for a whole tree (or a server's life): it signs every document and
 * knows its own public half, so a tree writer can tell whether a signature already on disk is one
 * this key made over these very bytes, and keep it instead of signing again.
 */
import {readFile} from 'node:fs/promises';
import {UserError, userFsError} from '../errors.js';
import {openpgp} from './load.js';
import {keyringFromBytes, verifyClearsigned, verifyDetached, type Keyring} from './openpgp.js';
import {signClearsigned, signDetached} from './sign.js';

export interface Signer {
  /** The public half, as a keyring. */
  readonly keyring: Keyring;
  clearsign(text: string): Promise<string>;
  /** Armored, as `gpg --armor --detach-sign` writes it. */
  detach(data: Uint8Array): Promise<string>;
  /** Whether `signed` is a clearsigned copy of `text` made by this key. */
  madeClearsigned(signed: string, text: string): Promise<boolean>;
  /** Whether `signature` is this key's detached signature of `data`. */
  madeDetached(signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}

/** The armored secret key in `keyPath` (gpg --armor --export-secret-keys), unlocked with the passphrase in `passphraseFile`. */
export async function loadSigner(keyPath: string, passphraseFile?: string): Promise<Signer> {
  const read = async (path: string): Promise<string> => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      userFsError(err, path);
    }
  };
  const armored = await read(keyPath);
  // A passphrase file's final newline is not part of the passphrase (gpg --passphrase-file reads one line).
  const passphrase = passphraseFile === undefined ? undefined : (await read(passphraseFile)).replace(/\r?\n$/, '');
  // Sign once now: a wrong passphrase or a public key given by mistake fails before any work.
  await signClearsigned('probe\n', armored, passphrase);
  const pgp = await openpgp();
  let publicArmored: string;
  try {
    publicArmored = (await pgp.readPrivateKey({armoredKey: armored})).toPublic().armor();
  } catch (err) {
    throw new UserError(`${keyPath}: not an OpenPGP secret key`, {code: 'InvalidKeyring', cause: err});
  }
  const keyring = await keyringFromBytes(Buffer.from(publicArmored), keyPath);
  const holds = async (check: () => Promise<unknown>): Promise<boolean> =>
    check().then(
      () => true,
      () => false,
    );
  return {
    keyring,
    clearsign: (text) => signClearsigned(text, armored, passphrase),
    detach: (data) => signDetached(data, armored, passphrase),
    madeClearsigned: async (signed, text) => {
      let payload = '';
      const ok = await holds(async () => (payload = await verifyClearsigned(signed, keyring, 'signature')));
      // verifyClearsigned gives the text back with a final newline; canonical JSON has none.
      return ok && (payload === text || payload === `${text}\n`);
    },
    madeDetached: (signature, data) => holds(() => verifyDetached(data, signature, keyring, 'signature')),
  };
}
