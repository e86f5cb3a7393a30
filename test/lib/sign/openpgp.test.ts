// src/lib/sign/openpgp.ts: keyrings, clearsigned files and detached signatures made by the real
// gpg, each verdict set beside gpgv's on the same files.
import assert from 'node:assert/strict';
import {createReadStream, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {Readable} from 'node:stream';
import {before, describe, test} from 'node:test';
import {keyringFromBytes, loadKeyring, verifyClearsigned, verifyDetached, type Keyring} from '../../../src/lib/sign/openpgp.js';
import {clearsign, detachSign, gpgHomeWith, gpgv, makeGpgKey, type GpgKey} from '../../helpers/gpg.js';
import {tempDir} from '../../helpers/tmp.js';

const work = tempDir();
// As simplestreams writes products files: indented JSON ending in a newline.
const PRODUCTS = `${JSON.stringify({content_id: 'images', format: 'products:1.0', products: {'ubuntu:22.04:amd64:default': {arch: 'amd64'}}}, null, 1)}\n`;

let a: GpgKey;
let b: GpgKey;
let keyringA: Keyring;

function file(name: string, content: string | Uint8Array): string {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
}

/** A file clearsigned by gpg; returns its path and text. */
function signed(name: string, content: string, home = a.home, signers: string[] = []): {path: string; text: string} {
  const path = join(work, `${name}.sjson`);
  clearsign(home, file(name, content), path, signers);
  return {path, text: readFileSync(path, 'utf8')};
}

async function rejects(p: Promise<unknown>, code: string, message?: RegExp): Promise<void> {
  await assert.rejects(p, (err: {code?: string; message: string}) => {
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

before(async () => {
  a = makeGpgKey(work, 'img test');
  b = makeGpgKey(work, 'someone else');
  keyringA = await loadKeyring(a.publicBinary);
});

describe('loadKeyring', () => {
  test('reads gpg --export and gpg --armor --export alike', async () => {
    assert.deepEqual(keyringA.fingerprints, [a.fingerprint]);
    assert.deepEqual((await loadKeyring(a.publicArmored)).fingerprints, [a.fingerprint]);
  });

  test('reads several keys, binary or armored blocks one after the other', async () => {
    const binary = file('ab.gpg', Buffer.concat([readFileSync(a.publicBinary), readFileSync(b.publicBinary)]));
    const armored = file('ab.asc', readFileSync(a.publicArmored, 'utf8') + readFileSync(b.publicArmored, 'utf8'));
    for (const path of [binary, armored]) {
      const ring = await loadKeyring(path);
      assert.deepEqual(ring.fingerprints, [a.fingerprint, b.fingerprint]);
      // The second key of the ring is found too.
      const {path: sjson, text} = signed('by-b', PRODUCTS, b.home);
      assert.equal(await verifyClearsigned(text, ring, 'by-b'), PRODUCTS);
      // gpgv 2.2 takes binary keyrings only.
      if (path === binary) assert.equal(gpgv(path, sjson).ok, true);
    }
  });

  test('a file with no public key is InvalidKeyring, naming the file', async () => {
    await rejects(keyringFromBytes(new Uint8Array(), 'empty.gpg'), 'InvalidKeyring', /^empty\.gpg: not an OpenPGP keyring \(empty file\)$/);
    await rejects(loadKeyring(file('garbage.gpg', Buffer.from([0x99, 1, 2, 3, 4]))), 'InvalidKeyring', /garbage\.gpg: not an OpenPGP keyring/);
    await rejects(loadKeyring(file('text.asc', 'hello\n')), 'InvalidKeyring', /no PGP PUBLIC KEY BLOCK/);
    await rejects(loadKeyring(file('secret.asc', a.secretArmored)), 'InvalidKeyring', /secret key/);
    await rejects(loadKeyring(join(work, 'absent.gpg')), 'FileNotFound');
  });
});

describe('verifyClearsigned', () => {
  test("gpg --clearsign's JSON comes back byte for byte, as gpgv writes it", async () => {
    const {path, text} = signed('products', PRODUCTS);
    const payload = await verifyClearsigned(text, keyringA, 'products.sjson');
    assert.equal(payload, PRODUCTS);
    assert.deepEqual(JSON.parse(payload), JSON.parse(PRODUCTS));
    const judge = gpgv(a.publicBinary, path);
    assert.equal(judge.ok, true);
    assert.equal(judge.output.toString(), payload);
  });

  test('dash-escaping is undone; trailing blanks (unsigned) are dropped and a final newline added, as gpgv does', async () => {
    // Python 2's json.dumps(indent=…) left a space after each comma; "-" lines are dash-escaped.
    const content = '{"a": 1, \n "b": "x"}\t\n- dash\n-----BEGIN PGP SIGNED MESSAGE-----\nFrom me\nno final newline';
    const {path, text} = signed('blanks', content);
    assert.match(text, /^- -----BEGIN PGP SIGNED MESSAGE-----$/m);
    const payload = await verifyClearsigned(text, keyringA, 'blanks');
    assert.equal(payload, '{"a": 1,\n "b": "x"}\n- dash\n-----BEGIN PGP SIGNED MESSAGE-----\nFrom me\nno final newline\n');
    assert.equal(gpgv(a.publicBinary, path).output.toString(), payload);
    assert.equal(await verifyClearsigned(signed('empty', '').text, keyringA, 'empty'), '\n');
  });

  test('one byte changed in the payload is BadSignature, for gpgv too', async () => {
    const {text} = signed('products', PRODUCTS);
    const altered = file('altered.sjson', text.replace('products:1.0', 'products:1.1'));
    assert.notEqual(readFileSync(altered, 'utf8'), text);
    await rejects(
      verifyClearsigned(readFileSync(altered, 'utf8'), keyringA, 'altered.sjson'),
      'BadSignature',
      /^altered\.sjson: bad signature \(the signed text does not match its signature\)$/,
    );
    assert.equal(gpgv(a.publicBinary, altered).ok, false);
  });

  test('signed by a key not in the keyring is BadSignature, for gpgv too', async () => {
    const {path, text} = signed('by-b', PRODUCTS, b.home);
    const id = b.fingerprint.slice(-16);
    await rejects(
      verifyClearsigned(text, keyringA, 'by-b'),
      'BadSignature',
      new RegExp(`^by-b: bad signature \\(signed by ${id}, a key not in the keyring\\)$`),
    );
    assert.equal(gpgv(a.publicBinary, path).ok, false);
  });

  test('plain JSON, or another kind of OpenPGP file, is NotSigned', async () => {
    await rejects(verifyClearsigned(PRODUCTS, keyringA, 'products.json'), 'NotSigned', /^products\.json: not signed \(expected an OpenPGP clearsigned file\)$/);
    assert.equal(gpgv(a.publicBinary, file('plain.json', PRODUCTS)).ok, false);
    await rejects(verifyClearsigned(readFileSync(a.publicArmored, 'utf8'), keyringA, 'key.asc'), 'NotSigned');
  });

  test('malformed armor is BadSignature, for gpgv too', async () => {
    const {text} = signed('products', PRODUCTS);
    const cases = {
      truncated: text.slice(0, text.indexOf('-----BEGIN PGP SIGNATURE-----') + 40),
      'no-signature': text.slice(0, text.indexOf('-----BEGIN PGP SIGNATURE-----')),
      'hash-header': text.replace(/^Hash: SHA256$/m, 'Hash: SHA512'),
      'two-messages': text + signed('other', '{}\n').text,
    };
    assert.notEqual(cases['hash-header'], text);
    for (const [name, bad] of Object.entries(cases)) {
      await rejects(verifyClearsigned(bad, keyringA, name), 'BadSignature', new RegExp(`^${name}: bad signature \\(`));
      assert.equal(gpgv(a.publicBinary, file(`${name}.sjson`, bad)).ok, false, name);
    }
  });

  test('text around the signed block is ignored, as gpgv ignores it', async () => {
    const {text} = signed('products', PRODUCTS);
    const wrapped = `{"not": "signed"}\n${text}trailing junk\n`;
    assert.equal(await verifyClearsigned(wrapped, keyringA, 'wrapped'), PRODUCTS);
    const judge = gpgv(a.publicBinary, file('wrapped.sjson', wrapped));
    assert.equal(judge.ok, true);
    assert.equal(judge.output.toString(), PRODUCTS);
  });

  test('several signatures: good when one is by the keyring and none by the keyring is bad', async () => {
    const {path, text} = signed('by-ab', PRODUCTS, gpgHomeWith(work, [a, b]), [a.fingerprint, b.fingerprint]);
    assert.equal(await verifyClearsigned(text, keyringA, 'by-ab'), PRODUCTS);
    // gpgv finds the good signature but exits 2 for the one whose key it lacks (apt counts the good one).
    const judge = gpgv(a.publicBinary, path);
    assert.deepEqual([judge.ok, judge.good], [false, [a.fingerprint]]);
    const both = await loadKeyring(file('ab-ring.gpg', Buffer.concat([readFileSync(a.publicBinary), readFileSync(b.publicBinary)])));
    assert.equal(await verifyClearsigned(text, both, 'by-ab'), PRODUCTS);
    await rejects(verifyClearsigned(text.replace('products:1.0', 'products:1.1'), both, 'by-ab'), 'BadSignature', /does not match/);
  });
});

describe('where img is stricter than gpgv 2.2 (openpgp defaults)', () => {
  test('a SHA-1 message signature is BadSignature; gpgv accepts it', async () => {
    const rsa = makeGpgKey(work, 'rsa signer', 'rsa2048');
    const path = join(work, 'sha1.sjson');
    clearsign(rsa.home, file('sha1.json', PRODUCTS), path, [], 'SHA1');
    const text = readFileSync(path, 'utf8');
    assert.match(text, /^Hash: SHA1$/m);
    await rejects(verifyClearsigned(text, await loadKeyring(rsa.publicBinary), 'sha1.sjson'), 'BadSignature', /\(Insecure message hash algorithm: SHA1\)$/);
    assert.equal(gpgv(rsa.publicBinary, path).ok, true);
  });
});

describe('verifyDetached', () => {
  const data = Buffer.from(PRODUCTS);
  let index: string;
  before(() => {
    index = file('index.json', data);
    detachSign(a.home, index, `${index}.gpg`);
    detachSign(a.home, index, `${index}.asc`, {armor: true});
    detachSign(b.home, index, `${index}.by-b.gpg`);
  });

  test('a binary or armored signature by the keyring verifies, over bytes or a stream', async () => {
    for (const sig of [`${index}.gpg`, `${index}.asc`]) {
      await verifyDetached(data, readFileSync(sig), keyringA, 'index.json');
      await verifyDetached(createReadStream(index, {highWaterMark: 7}), readFileSync(sig), keyringA, 'index.json');
      assert.equal(gpgv(a.publicBinary, sig, index).ok, true);
    }
  });

  test('changed data, another key or a damaged signature is BadSignature, for gpgv too', async () => {
    const changed = file('index.changed.json', PRODUCTS.replace('products:1.0', 'products:1.1'));
    const sig = readFileSync(`${index}.gpg`);
    await rejects(
      verifyDetached(readFileSync(changed), sig, keyringA, 'index.json'),
      'BadSignature',
      /^index\.json: bad signature \(the data does not match its signature\)$/,
    );
    await rejects(verifyDetached(createReadStream(changed), sig, keyringA, 'index.json'), 'BadSignature', /does not match/);
    assert.equal(gpgv(a.publicBinary, `${index}.gpg`, changed).ok, false);
    await rejects(verifyDetached(data, readFileSync(`${index}.by-b.gpg`), keyringA, 'index.json'), 'BadSignature', /not in the keyring/);
    assert.equal(gpgv(a.publicBinary, `${index}.by-b.gpg`, index).ok, false);
    const damaged = file('damaged.gpg', sig.subarray(0, sig.length - 5));
    await rejects(verifyDetached(data, readFileSync(damaged), keyringA, 'index.json'), 'BadSignature', /malformed signature/);
    assert.equal(gpgv(a.publicBinary, damaged, index).ok, false);
    await rejects(verifyDetached(data, new Uint8Array(), keyringA, 'index.json'), 'BadSignature', /\(malformed signature: empty file\)$/);
  });

  test("the data stream's own error comes out as it is, not as a bad signature", async () => {
    const broken = new Readable({
      read() {
        this.destroy(Object.assign(new Error('disk on fire'), {code: 'EIO'}));
      },
    });
    await assert.rejects(verifyDetached(broken, readFileSync(`${index}.gpg`), keyringA, 'index.json'), /disk on fire/);
  });
});
