// Signing, for feeds img writes: output gpgv verifies, with the key given as the armored text of
// `gpg --armor --export-secret-keys` (or openpgp's own).
import type {PrivateKey} from 'openpgp';
import {UserError} from '../errors.js';
import {openpgp} from './load.js';

const WHAT = 'secret key';

/**
 * Clearsign text as `gpg --clearsign` does: the text's final line break becomes the one before
 * the signature, so verifyClearsigned (and gpgv) give back text that ends in a newline unchanged.
 */
export async function signClearsigned(text: string, armoredPrivateKey: string, passphrase?: string): Promise<string> {
  const pgp = await openpgp();
  const signingKeys = await unlock(armoredPrivateKey, passphrase);
  const message = await pgp.createCleartextMessage({text: text.replace(/\r?\n$/, '')});
  // openpgp writes the text with the CRLFs it signed; gpg writes LF, and gpgv and simplestreams'
  // readers give back line endings as they find them. The signature covers either.
  return (await pgp.sign({message, signingKeys})).replace(/\r\n/g, '\n');
}

/**
 * An armored detached signature over data. Bytes, not a stream: openpgp's sign() reads a streamed
 * message whole into memory anyway (its readToEnd), and the files img signs are feed documents.
 */
export async function signDetached(data: Uint8Array, armoredPrivateKey: string, passphrase?: string): Promise<string> {
  const pgp = await openpgp();
  const signingKeys = await unlock(armoredPrivateKey, passphrase);
  return pgp.sign({message: await pgp.createMessage({binary: data}), signingKeys, detached: true});
}

async function unlock(armoredPrivateKey: string, passphrase: string | undefined): Promise<PrivateKey> {
  const pgp = await openpgp();
  let key: PrivateKey;
  try {
    key = await pgp.readPrivateKey({armoredKey: armoredPrivateKey});
  } catch (err) {
    throw new UserError(`${WHAT}: not an OpenPGP secret key (${(err as Error).message})`, {code: 'InvalidKeyring', cause: err});
  }
  if (key.isDecrypted()) return key;
  if (passphrase === undefined) throw new UserError(`${WHAT}: protected by a passphrase, and none was given`, {code: 'InvalidKeyring'});
  try {
    return await pgp.decryptKey({privateKey: key, passphrase});
  } catch (err) {
    throw new UserError(`${WHAT}: cannot unlock it (${(err as Error).message})`, {code: 'InvalidKeyring', cause: err});
  }
}
