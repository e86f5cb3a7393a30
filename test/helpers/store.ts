import {Readable} from 'node:stream';
import {isUserError} from '../../src/lib/errors.js';
import {GOOD_META} from './hostile.js';
import {tarBytes} from './tar-bytes.js';

/** A tiny unified image, different for every seed. */
export const tinyImage = (seed: string, meta = GOOD_META): Buffer =>
  tarBytes([
    ['metadata.yaml', meta],
    ['rootfs/', ''],
    ['rootfs/seed', `${seed}\n`],
  ]);

/** An ImageSource over bytes, as a stream (the way stdin and downloads arrive). */
export const streamSource = (data: Buffer, name = 'in.tar', declared: {size?: number; sha256?: string} = {}) => ({
  stream: Readable.from([data]),
  name,
  ...declared,
});

/** The code of the UserError a promise rejects with, or 'ok'; anything else is rethrown. */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    if (isUserError(err)) return err.code;
    throw err;
  }
}
