import {createReadStream} from 'node:fs';
import {lstat, readdir, readlink} from 'node:fs/promises';
import {join} from 'node:path';
import {pipeline} from 'node:stream/promises';
import type * as tar from 'tar-stream';
import {UserError} from '../errors.js';
import {CHUNK_SIZE} from '../io/chunks.js';

type TarHeader = Parameters<tar.Pack['entry']>[0];

export interface PackOptions {
  /** Every entry gets this mtime (seconds) — SOURCE_DATE_EPOCH — instead of the file's own. */
  mtime?: number;
  /** Record every entry as owned by root (like mksquashfs -all-root), not by its numeric owner. */
  allRoot?: boolean;
}

/** Byte order of UTF-8 names, as `LC_ALL=C sort` and mksquashfs order them. */
export function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

// Linux dev_t → major/minor (glibc's gnu_dev_major/minor).
const major = (rdev: number): number => Number(((BigInt(rdev) >> 8n) & 0xfffn) | ((BigInt(rdev) >> 32n) & ~0xfffn));
const minor = (rdev: number): number => Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));

function entry(pack: tar.Pack, header: TarHeader): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * Add the tree at `dir` to `pack` under `prefix` ("rootfs/", "./", "templates/"), sorted by name
 * at every level, with numeric owners and no user or group names, so the same tree packs to the
 * same bytes. Hard links inside the tree become tar links; sockets are skipped (as tar does).
 * The `prefix` directory itself is written first, carrying `dir`'s own mode and owner.
 */
export async function packTree(pack: tar.Pack, dir: string, prefix: string, opts: PackOptions = {}): Promise<void> {
  const links = new Map<string, string>();
  const top = await lstat(dir);
  if (!top.isDirectory()) throw new UserError(`${dir}: not a directory`, {code: 'NotDirectory'});
  await entry(pack, header(prefix, top, opts, 'directory'));
  await walk(dir, prefix);

  async function walk(path: string, name: string): Promise<void> {
    const children = (await readdir(path)).sort(byteOrder);
    for (const child of children) {
      const full = join(path, child);
      const st = await lstat(full);
      const rel = name + child;
      if (st.isDirectory()) {
        await entry(pack, header(`${rel}/`, st, opts, 'directory'));
        await walk(full, `${rel}/`);
      } else if (st.isSymbolicLink()) {
        await entry(pack, {...header(rel, st, opts, 'symlink'), linkname: await readlink(full)});
      } else if (st.isFile()) {
        const key = `${st.dev}:${st.ino}`;
        const first = st.nlink > 1 ? links.get(key) : undefined;
        if (first !== undefined) {
          await entry(pack, {...header(rel, st, opts, 'link'), linkname: first});
          continue;
        }
        if (st.nlink > 1) links.set(key, rel);
        const sink = pack.entry({...header(rel, st, opts, 'file'), size: st.size});
        // tar-stream checks the byte count against the header: a file that changes while it is
        // packed fails the build instead of producing a corrupt archive.
        await pipeline(createReadStream(full, {highWaterMark: CHUNK_SIZE}), sink);
      } else if (st.isCharacterDevice() || st.isBlockDevice()) {
        const type = st.isCharacterDevice() ? 'character-device' : 'block-device';
        await entry(pack, {...header(rel, st, opts, type), devmajor: major(st.rdev), devminor: minor(st.rdev)});
      } else if (st.isFIFO()) {
        await entry(pack, header(rel, st, opts, 'fifo'));
      }
    }
  }
}

function header(name: string, st: Awaited<ReturnType<typeof lstat>>, opts: PackOptions, type: tar.Header['type']): TarHeader {
  const mtime = opts.mtime ?? Math.floor(Number(st.mtimeMs) / 1000);
  return {
    name,
    type,
    mode: Number(st.mode) & 0o7777,
    uid: opts.allRoot ? 0 : Number(st.uid),
    gid: opts.allRoot ? 0 : Number(st.gid),
    uname: '',
    gname: '',
    mtime: new Date(mtime * 1000),
    size: 0,
  };
}

/** Add one in-memory file (metadata.yaml) owned by root. */
export function packBuffer(pack: tar.Pack, name: string, data: Uint8Array, mtime: number, mode = 0o644): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry({name, type: 'file', mode, uid: 0, gid: 0, uname: '', gname: '', mtime: new Date(mtime * 1000), size: data.length}, Buffer.from(data), (err) =>
      err ? reject(err) : resolve(),
    );
  });
}
