// A put that never finishes, for the kill -9 tests (contract.ts runKilledPut): opens the store at
// argv[2] the way img does, starts a put under the key argv[3] from a slow stream, and prints
// PUT_CHILD_MARKER once the store has taken 8 MiB, then keeps feeding it slowly until killed.
import {setTimeout as sleep} from 'node:timers/promises';
import {openBlobStore} from '../../../src/lib/storage/index.js';

const [location, key] = process.argv.slice(2);
if (location === undefined || key === undefined) throw new Error('usage: put-child.ts <location> <key>');

/** Must equal PUT_CHILD_MARKER in contract.ts (importing it would load node:test here). */
const MARKER = 'put-child: writing\n';
const PIECE = 64 << 10;
/**
 * A store pulls its input only as fast as it stores it, so once it has asked for more than 8 MiB
 * some of it has reached the temporary: the local store regroups into 1 MiB chunks with at most
 * three writes in flight, and 8 MiB is past one 5 MiB S3 multipart part.
 */
const FAST = 8 << 20;
/** If nobody kills this process (the test died first), stop rather than fill the disk. */
const GIVE_UP_MS = 30_000;

async function* slowly(): AsyncGenerator<Uint8Array> {
  const started = Date.now();
  let sent = 0;
  for (;;) {
    yield Buffer.alloc(PIECE, 0x6e);
    sent += PIECE;
    if (sent === FAST) process.stdout.write(MARKER);
    if (sent >= FAST) await sleep(20);
    if (Date.now() - started > GIVE_UP_MS) throw new Error('put-child: not killed in time');
  }
}

await openBlobStore(location).put(key, slowly());
