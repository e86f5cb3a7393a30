/**
 * `GET /1.0/images/<fp>/export` as LXD 5.0.2 answers it (../shared/spec/lxd-images.md §5.5): a
 * unified image is its one file, named in `Content-Disposition: inline;filename=<fp><ext>` (LXD's
 * client refuses an export without a file name) with ranges; a split image is one
 * multipart/form-data body of two parts, `metadata` then `rootfs` (`rootfs.img` for a VM), each
 * streamed from disk as the client takes it. LXD ignores Range on a multipart export, and so does
 * img; unlike LXD's chunked one, img's body has a Content-Length (the parts' sizes are known), so
 * a client can show progress.
 */
import {randomBytes} from 'node:crypto';
import {open, type FileHandle} from 'node:fs/promises';
import type {ServerResponse} from 'node:http';
import type {ImageFile, ImageView} from '../image/types.js';
import {activeDownloads} from './send-file.js';
import type {ServeRequest} from './types.js';

// As send-file.ts sizes its reads: 1 MiB for a few clients, down to 64 KiB for hundreds, so that
// the buffers of every download under way (its own and these) stay within about 32 MiB.
const BUDGET = 32 << 20;
const MIN_CHUNK = 64 << 10;
const MAX_CHUNK = 1 << 20;
/** Multipart exports sending right now. */
let sending = 0;

function chunkSize(): number {
  const active = sending + activeDownloads();
  let size = MAX_CHUNK;
  while (size > MIN_CHUNK && size * 2 * active > BUDGET) size >>= 1;
  return size;
}

/** Answer an export of a public image (found in the catalog by the caller). */
export async function sendExport(r: ServeRequest, view: ImageView): Promise<void> {
  const fp = view.fingerprint;
  const unified = view.files.find((f) => f.role === 'unified');
  if (unified) {
    await r.file(r.catalog.filePath(fp, 'unified'), {
      size: unified.size,
      etag: `"${fp}"`,
      contentType: 'application/octet-stream',
      // LXD's exact form, without a space after the semicolon.
      headers: {'content-disposition': `inline;filename=${fp}${unified.extension}`},
    });
    return;
  }
  const role = (name: ImageFile['role']): ImageFile => {
    const file = view.files.find((f) => f.role === name);
    if (!file) throw new Error(`image ${fp} has neither a unified file nor a ${name} file`);
    return file;
  };
  const meta = role('metadata');
  const root = role('rootfs');
  await sendMultipart(r, [
    {name: 'metadata', filename: `meta-${fp}${meta.extension}`, path: r.catalog.filePath(fp, 'metadata')},
    {name: view.type === 'virtual-machine' ? 'rootfs.img' : 'rootfs', filename: `${fp}${root.extension}`, path: r.catalog.filePath(fp, 'rootfs')},
  ]);
}

interface PartSpec {
  name: string;
  filename: string;
  path: string;
}

/** A boundary as Go's multipart.Writer makes one: 30 random bytes in hex. */
export function newBoundary(): string {
  return randomBytes(30).toString('hex');
}

export function partHead(boundary: string, part: Pick<PartSpec, 'name' | 'filename'>, first: boolean): Buffer {
  const lines = [
    `${first ? '' : '\r\n'}--${boundary}`,
    `Content-Disposition: form-data; name="${part.name}"; filename="${part.filename}"`,
    'Content-Type: application/octet-stream',
    '',
    '',
  ];
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

async function sendMultipart(r: ServeRequest, parts: PartSpec[]): Promise<void> {
  const boundary = newBoundary();
  const heads = parts.map((p, i) => partHead(boundary, p, i === 0));
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
  const handles: FileHandle[] = [];
  try {
    // Opened before the answer starts: a file gone from the store is an error, not a cut body.
    for (const p of parts) handles.push(await open(p.path, 'r'));
    // The sizes the files have now, which are the bytes sent: the Content-Length cannot lie.
    const sizes = await Promise.all(handles.map(async (h) => (await h.stat()).size));
    const length = heads.reduce((n, h) => n + h.length, tail.length) + sizes.reduce((a, b) => a + b, 0);
    const res = r.res;
    res.writeHead(200, {'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': length});
    if (r.req.method === 'HEAD') return void res.end();
    sending++;
    try {
      for (let i = 0; i < parts.length; i++) {
        if (!(await write(res, heads[i]!))) return;
        if (!(await copyFile(handles[i]!, sizes[i]!, res))) return;
      }
      res.end(tail);
    } finally {
      sending--;
    }
  } finally {
    await Promise.all(handles.map((h) => h.close()));
  }
}

/**
 * A file's bytes onto the response, the next read under way while a chunk is written; false once
 * the client has gone. A fresh buffer per chunk: one written may still be queued in the socket.
 */
async function copyFile(handle: FileHandle, size: number, res: ServerResponse): Promise<boolean> {
  let position = 0;
  const read = async (): Promise<Buffer | undefined> => {
    if (position >= size) return undefined;
    const n = Math.min(chunkSize(), size - position);
    const buf = Buffer.allocUnsafeSlow(n);
    const {bytesRead} = await handle.read(buf, 0, n, position);
    if (bytesRead === 0) throw new Error('a store file is shorter than it was when the export began');
    position += bytesRead;
    return bytesRead === n ? buf : buf.subarray(0, bytesRead);
  };
  let next = read();
  for (;;) {
    const chunk = await next;
    if (!chunk) return true;
    next = read();
    // Its error, if any, is met at the next await; meanwhile it must not count as unhandled.
    next.catch(() => undefined);
    if (!(await write(res, chunk))) {
      await next.catch(() => undefined);
      return false;
    }
  }
}

/** Write with back-pressure; false once the client has gone (the rest is not read from disk). */
async function write(res: ServerResponse, chunk: Buffer): Promise<boolean> {
  if (res.destroyed) return false;
  if (res.write(chunk)) return true;
  await new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
  return !res.destroyed;
}
