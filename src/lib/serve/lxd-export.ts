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
import {sendBytes} from './send-file.js';
import type {ServeRequest} from './types.js';

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
    for (let i = 0; i < parts.length; i++) {
      if (!(await write(res, heads[i]!))) return;
      // send-file.ts's sender, sharing its buffer pool with every other download under way.
      await sendBytes(handles[i]!, 0, sizes[i]!, res, {end: false});
      if (res.destroyed) return;
    }
    res.end(tail);
  } finally {
    await Promise.all(handles.map((h) => h.close()));
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
