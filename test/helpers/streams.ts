import {Readable, Writable, type Duplex} from 'node:stream';
import {pipeline} from 'node:stream/promises';

/** Push `input` through a codec stream, in pieces of `piece` bytes, and collect what comes out. */
export async function through(stream: Duplex, input: Buffer, piece = 65536): Promise<Buffer> {
  const out: Buffer[] = [];
  const pieces = function* () {
    for (let i = 0; i < input.length; i += piece) yield input.subarray(i, i + piece);
  };
  await pipeline(
    Readable.from(pieces()),
    stream,
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        out.push(Buffer.from(chunk));
        cb();
      },
    }),
  );
  return Buffer.concat(out);
}
