// src/lib/sign/sign.ts: what img signs, gpgv verifies (and so does img's own verifier).
import assert from 'node:assert/strict';
import {createReadStream, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {before, describe, test} from 'node:test';
import {generateKey} from 'openpgp';
import {loadKeyring, signClearsigned, signDetached, verifyClearsigned, verifyDetached} from '../../../src/lib/sign/openpgp.js';
import {gpgv, makeGpgKey, type GpgKey} from '../../helpers/gpg.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();
const PRODUCTS = `${JSON.stringify({content_id: 'images', format: 'products:1.0', products: {}}, null, 1)}\n`;

let key: GpgKey;

function file(name: string, content: string | Uint8Array): string {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
}

before(() => {
  key = makeGpgKey(work);
});

describe('signClearsigned', () => {
  test('gpgv verifies it and writes back the text; so does verifyClearsigned', async () => {
    const text = `${PRODUCTS}-----BEGIN PGP SIGNATURE-----\n- dash\n`;
    const signed = await signClearsigned(text, key.secretArmored);
    assert.match(signed, /^-----BEGIN PGP SIGNED MESSAGE-----\n/);
    const judge = gpgv(key.publicBinary, file('signed.sjson', signed));
    assert.deepEqual([judge.ok, judge.good], [true, [key.fingerprint]]);
    assert.equal(judge.output.toString(), text);
    assert.equal(await verifyClearsigned(signed, await loadKeyring(key.publicBinary), 'signed.sjson'), text);
  });
});

describe('signDetached', () => {
  test('gpgv verifies the signature', async () => {
    const data = file('index.json', PRODUCTS);
    const sig = await signDetached(Buffer.from(PRODUCTS), key.secretArmored);
    assert.match(sig, /^-----BEGIN PGP SIGNATURE-----\n/);
    assert.equal(gpgv(key.publicBinary, file('index.json.asc', sig), data).ok, true);
    await verifyDetached(createReadStream(data), Buffer.from(sig), await loadKeyring(key.publicBinary), 'index.json');
  });
});

describe('secret keys', () => {
  test('a passphrase-protected key signs with its passphrase only', async () => {
    const made = await generateKey({userIDs: [{name: 'locked', email: 'locked@example.invalid'}], passphrase: 'sesame', format: 'armored'});
    const pub = await generateKeyBinaryPublic(made.publicKey);
    await assert.rejects(signClearsigned(PRODUCTS, made.privateKey), {code: 'InvalidKeyring', message: /passphrase/});
    await assert.rejects(signClearsigned(PRODUCTS, made.privateKey, 'wrong'), {code: 'InvalidKeyring', message: /^secret key: cannot unlock it/});
    const signed = await signClearsigned(PRODUCTS, made.privateKey, 'sesame');
    assert.equal(gpgv(pub, file('locked.sjson', signed)).ok, true);
    await assert.rejects(signDetached(Buffer.from('x'), 'not a key'), {code: 'InvalidKeyring', message: /^secret key: not an OpenPGP secret key/});
  });
});

/** The binary keyring gpgv needs, for a key openpgp made. */
async function generateKeyBinaryPublic(armored: string): Promise<string> {
  const {readKey} = await import('openpgp');
  const path = join(work, 'locked.pub.gpg');
  writeFileSync(path, (await readKey({armoredKey: armored})).write());
  assert.ok(readFileSync(path).length > 0);
  return path;
}
