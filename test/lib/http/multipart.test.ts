import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {LXD_EXPORT_PARTS, multipartBoundary, parseMultipart, parseMediaType, type MultipartOptions} from '../../../src/lib/http/multipart.js';
import {lcg, seededBytes} from '../../helpers/bytes.js';

const B = 'a3f1c0d2e4b5968778695a4b3c2d1e0f9a8b7c6d5e4f30211203f4e5d6c7b8a9a0b1c2d3e4f5a6b7c8d9'.slice(0, 60);
const FP = '39b30a68db4fa8cee9a1975636318d7621cbadea11023f184d1f55a462d49542';

/** A split export byte for byte as LXD 5.0.2 writes it (spec §5.5), close delimiter twice included. */
function lxdBody(meta: Buffer, root: Buffer, opts: {rootName?: string; metaName?: string} = {}): Buffer {
  const head = (name: string, file: string) =>
    `--${B}\r\nContent-Disposition: form-data; name="${name}"; filename="${file}"\r\nContent-Type: application/octet-stream\r\n\r\n`;
  return Buffer.concat([
    Buffer.from(head(opts.metaName ?? 'metadata', `meta-${FP}.tar.xz`)),
    meta,
    Buffer.from('\r\n' + head(opts.rootName ?? 'rootfs', `${FP}.squashfs`)),
    root,
    Buffer.from(`\r\n--${B}--\r\n\r\n--${B}--\r\n`),
  ]);
}

async function* pieces(body: Buffer, sizes: () => number): AsyncGenerator<Buffer> {
  for (let i = 0; i < body.length;) {
    const n = Math.max(1, sizes());
    // Copies, into a buffer then overwritten: the parser must not keep what it was given.
    const piece = Buffer.from(body.subarray(i, i + n));
    yield piece;
    piece.fill(0xee);
    i += n;
  }
}

async function collect(source: AsyncIterable<Uint8Array>, opts: Partial<MultipartOptions> = {}) {
  const parts: Array<{name: string; filename: string; bytes: Buffer}> = [];
  for await (const part of parseMultipart(source, {boundary: B, names: LXD_EXPORT_PARTS, what: 'export', ...opts})) {
    const chunks: Buffer[] = [];
    for await (const c of part.body) chunks.push(Buffer.from(c));
    parts.push({name: part.name, filename: part.filename, bytes: Buffer.concat(chunks)});
  }
  return parts;
}

const invalidMultipart = (re?: RegExp) => (err: unknown) => {
  assert.equal((err as {code?: string}).code, 'InvalidMultipart', String(err));
  if (re) assert.match((err as Error).message, re);
  return true;
};

// Bytes that look like the start of a delimiter, and one that is a delimiter but for its next character (Go's rule).
const TRICKY = Buffer.concat([Buffer.from(`\r\n--${B.slice(0, 30)}\r\r\n-\r\n--${B}x\r\n--${B}-x`), seededBytes(300, 7), Buffer.from('\r')]);

describe('multipart', () => {
  test('the boundary comes from a multipart Content-Type; other types are not multipart', () => {
    assert.equal(multipartBoundary(`multipart/form-data; boundary=${B}`), B);
    assert.equal(multipartBoundary(`Multipart/Form-Data;boundary="a b;c"`), 'a b;c');
    assert.equal(multipartBoundary('application/octet-stream'), undefined);
    assert.equal(multipartBoundary(undefined), undefined);
    assert.throws(() => multipartBoundary('multipart/form-data'), invalidMultipart(/boundary/));
    assert.throws(() => multipartBoundary(`multipart/form-data; boundary=${'x'.repeat(71)}`), invalidMultipart());
    assert.deepEqual(parseMediaType('form-data; name="rootfs.img"; filename="a\\"b.qcow2"'), {
      type: 'form-data',
      params: {name: 'rootfs.img', filename: 'a"b.qcow2'},
    });
  });

  const meta = Buffer.concat([seededBytes(1000, 1), TRICKY]);
  const root = Buffer.concat([TRICKY, seededBytes(5000, 2), TRICKY]);
  const body = lxdBody(meta, root);
  const expected = [
    {name: 'metadata', filename: `meta-${FP}.tar.xz`, bytes: meta},
    {name: 'rootfs', filename: `${FP}.squashfs`, bytes: root},
  ];

  test('an LXD export in one piece, in one-byte pieces and in random pieces', async () => {
    assert.deepEqual(await collect(pieces(body, () => body.length)), expected);
    assert.deepEqual(await collect(pieces(body, () => 1)), expected);
    for (let seed = 1; seed <= 20; seed++) {
      const next = lcg(seed);
      assert.deepEqual(await collect(pieces(body, () => next() % 200)), expected, `seed ${seed}`);
    }
  });

  test('split in two at every offset', async () => {
    for (let at = 0; at <= body.length; at++) {
      assert.deepEqual(
        await collect(
          (async function* () {
            yield body.subarray(0, at);
            yield body.subarray(at);
          })(),
        ),
        expected,
        `split at ${at}`,
      );
    }
  });

  test('stops at the first close delimiter: what LXD writes after it is never read', async () => {
    async function* thenFail() {
      yield lxdBody(meta, root).subarray(0, body.length - `\r\n--${B}--\r\n`.length);
      throw new Error('read past the close delimiter');
    }
    assert.deepEqual(await collect(thenFail()), expected);
    // Nor must anything follow it.
    assert.deepEqual(await collect(pieces(body.subarray(0, body.length - `\r\n\r\n--${B}--\r\n`.length), () => 7)), expected);
  });

  test('a VM export (rootfs.img) and empty parts', async () => {
    const parts = await collect(pieces(lxdBody(Buffer.alloc(0), Buffer.alloc(0), {rootName: 'rootfs.img'}), () => 3));
    assert.deepEqual(
      parts.map((p) => [p.name, p.bytes.length]),
      [
        ['metadata', 0],
        ['rootfs.img', 0],
      ],
    );
  });

  test('a body cut anywhere before its close delimiter is truncated', async () => {
    const end = body.length - `--\r\n\r\n--${B}--\r\n`.length;
    for (let at = 0; at < end; at += at < 200 || at > end - 200 ? 1 : 97) {
      await assert.rejects(collect(pieces(body.subarray(0, at), () => 64)), invalidMultipart(), `cut at ${at}`);
    }
  });

  test('parts of other names, or another number of parts, are refused', async () => {
    await assert.rejects(collect(pieces(lxdBody(meta, root, {metaName: 'rootfs'}), () => 50)), invalidMultipart(/part 1 is named "rootfs", not "metadata"/));
    await assert.rejects(collect(pieces(lxdBody(meta, root, {rootName: 'root'}), () => 50)), invalidMultipart(/part 2 is named "root"/));
    const one = Buffer.from(`--${B}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\nxyz\r\n--${B}--\r\n`);
    await assert.rejects(collect(pieces(one, () => 5)), invalidMultipart(/1 part\(s\), not 2/));
    const three = Buffer.concat([
      body.subarray(0, body.length - `--\r\n\r\n--${B}--\r\n`.length),
      Buffer.from(`\r\nContent-Disposition: form-data; name="x"\r\n\r\n\r\n--${B}--`),
    ]);
    await assert.rejects(collect(pieces(three, () => 5)), invalidMultipart(/more than 2 parts/));
    // Go's FormName: a name counts only in a form-data disposition.
    const attachment = Buffer.from(lxdBody(meta, root).toString('latin1').replace('form-data; name="metadata"', 'attachment; name="metadata"'), 'latin1');
    await assert.rejects(collect(pieces(attachment, () => 50)), invalidMultipart(/named ""/));
  });

  test('a part header over the cap, a body with no boundary, garbage after a boundary', async () => {
    const long = Buffer.from(`--${B}\r\nX-Junk: ${'j'.repeat(20_000)}\r\n\r\n`);
    await assert.rejects(collect(pieces(long, () => 1000)), invalidMultipart(/part header over 16384 bytes/));
    await assert.rejects(
      collect(
        pieces(long, () => 1000),
        {maxHeaderBytes: 100},
      ),
      invalidMultipart(/over 100 bytes/),
    );
    await assert.rejects(collect(pieces(seededBytes(100_000, 3), () => 4096)), invalidMultipart(/no boundary/));
    await assert.rejects(collect(pieces(Buffer.from(`--${B} junk\r\n\r\n`), () => 4)), invalidMultipart(/garbage/));
    await assert.rejects(collect(pieces(Buffer.from(`--${B}\r\nno colon here\r\n\r\n`), () => 4)), invalidMultipart(/malformed part header/));
  });

  test('a part the reader leaves unread is skipped', async () => {
    const seen: string[] = [];
    for await (const part of parseMultipart(
      pieces(body, () => 333),
      {boundary: B},
    )) {
      seen.push(part.name);
      if (part.index === 0) {
        for await (const _ of part.body) break;
      }
    }
    assert.deepEqual(seen, ['metadata', 'rootfs']);
  });

  test('a part in one chunk comes out in one chunk (no copying into small pieces)', async () => {
    const big = seededBytes(1 << 20, 9);
    const input = lxdBody(big, big);
    let sliced = 0;
    for await (const part of parseMultipart(
      pieces(input, () => input.length),
      {boundary: B},
    )) {
      for await (const c of part.body) if (c.length === big.length) sliced++;
    }
    assert.equal(sliced, 2);
  });
});
