/**
 * The answers of an LXD server's REST API (../shared/spec/lxd-images.md §5.1–§5.2), read as
 * strangers' data: every value is checked for its shape before img believes it, and anything
 * else is InvalidFeed naming the URL. Pure: the caller fetches.
 */
import {UserError} from '../errors.js';
import {parseMediaType} from '../http/multipart.js';
import {FINGERPRINT} from '../image/fingerprint.js';
import {formatOfName} from '../archive/detect.js';
import type {ImageFile, ImageView, InstanceType, UpdateSource} from '../image/types.js';
import {GO_ZERO_TIME} from '../time.js';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function malformed(url: string, why: string): UserError {
  return new UserError(`${url}: not an LXD API answer of the expected shape: ${why}`, {code: 'InvalidFeed'});
}

/** The `metadata` of a sync answer (`{"type":"sync",…,"metadata":…}`). */
export function syncMetadata(value: unknown, url: string): unknown {
  if (!isObj(value) || value.type !== 'sync') throw malformed(url, 'not a sync response');
  return value.metadata;
}

/**
 * What an LXD error answer says (`{"type":"error","error_code":404,"error":"Image not found"}`),
 * or undefined when the body is not one: the caller then reports the bare HTTP status.
 */
export function errorMessage(text: string): string | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (isObj(value) && value.type === 'error' && typeof value.error === 'string' && value.error !== '') return value.error;
  } catch {
    // Not JSON: a proxy's page, say.
  }
  return undefined;
}

/** LXD 5.0.2 answers an ambiguous fingerprint prefix with HTTP 500 and this text. */
export const AMBIGUOUS_PREFIX = 'More than one image matches';

/** The file name of a unified export: LXD's client refuses an export without one, in these words. */
export function exportFilename(contentDisposition: string | undefined, url: string): string {
  const name = parseMediaType(contentDisposition ?? '').params.filename;
  if (!name) throw new UserError(`${url}: No filename in Content-Disposition header`, {code: 'InvalidFeed'});
  return name;
}

export interface LxdAlias {
  name: string;
  target: string;
  type: InstanceType;
  description: string;
}

function instanceType(value: unknown, url: string, what: string): InstanceType {
  // Very old servers leave the type empty: clients read it as a container.
  if (value === '' || value === undefined || value === null) return 'container';
  if (value === 'container' || value === 'virtual-machine') return value;
  throw malformed(url, `${what} has type ${JSON.stringify(value)}`);
}

/** An alias object (`GET /1.0/images/aliases/<name>`). */
export function parseAlias(value: unknown, url: string): LxdAlias {
  if (!isObj(value)) throw malformed(url, 'the alias is not an object');
  const {name, target, description = ''} = value;
  if (typeof name !== 'string' || typeof description !== 'string') throw malformed(url, 'the alias has no name');
  if (typeof target !== 'string' || !FINGERPRINT.test(target))
    throw malformed(url, `alias ${JSON.stringify(name)} has target ${JSON.stringify(target)}, not a fingerprint`);
  return {name, target, type: instanceType(value.type, url, `alias ${JSON.stringify(name)}`), description};
}

const TIMES = ['created_at', 'uploaded_at', 'last_used_at', 'expires_at'] as const;

/** An image object (`GET /1.0/images/<fp>`, or one of `?recursion=1`), as img's ImageView. */
export function parseImage(value: unknown, url: string): ImageView {
  if (!isObj(value)) throw malformed(url, 'an image is not an object');
  const fp = value.fingerprint;
  if (typeof fp !== 'string' || !FINGERPRINT.test(fp)) throw malformed(url, `an image has fingerprint ${JSON.stringify(fp)}`);
  const bad = (field: string) => malformed(url, `image ${fp} has a malformed ${field}`);
  const str = (field: string, fallback?: string): string => {
    const v = value[field] ?? fallback;
    if (typeof v !== 'string') throw bad(field);
    return v;
  };
  const bool = (field: string): boolean => {
    const v = value[field] ?? false;
    if (typeof v !== 'boolean') throw bad(field);
    return v;
  };
  const size = value.size;
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size <= 0) throw bad('size');
  const properties = value.properties ?? {};
  if (!isObj(properties) || !Object.values(properties).every((v) => typeof v === 'string')) throw bad('properties');
  const profiles = value.profiles ?? [];
  if (!Array.isArray(profiles) || !profiles.every((p) => typeof p === 'string')) throw bad('profiles');
  const aliases = value.aliases ?? [];
  if (!Array.isArray(aliases)) throw bad('aliases');
  const filename = str('filename', '');
  const view: ImageView = {
    fingerprint: fp,
    type: instanceType(value.type, url, `image ${fp}`),
    architecture: str('architecture'),
    size,
    filename,
    properties: properties as Record<string, string>,
    public: bool('public'),
    cached: bool('cached'),
    auto_update: bool('auto_update'),
    profiles: profiles as string[],
    created_at: '',
    uploaded_at: '',
    last_used_at: '',
    expires_at: '',
    update_source: updateSource(value.update_source, bad),
    files: [unifiedGuess(filename, size)],
    aliases: aliases.map((a) => {
      if (!isObj(a) || typeof a.name !== 'string' || typeof (a.description ?? '') !== 'string') throw bad('aliases');
      return {name: a.name, description: (a.description as string | undefined) ?? ''};
    }),
  };
  for (const t of TIMES) view[t] = str(t, GO_ZERO_TIME);
  return view;
}

function updateSource(value: unknown, bad: (field: string) => UserError): UpdateSource | null {
  if (value === undefined || value === null) return null;
  if (!isObj(value)) throw bad('update_source');
  const fields = ['alias', 'certificate', 'protocol', 'server', 'image_type'] as const;
  const out = {} as UpdateSource;
  for (const f of fields) {
    const v = value[f] ?? '';
    if (typeof v !== 'string') throw bad(`update_source.${f}`);
    out[f] = v;
  }
  return out;
}

/**
 * LXD's image object says neither how many files an image has nor their sizes: only the export
 * tells (one file, or a multipart body of two). Until then an image is described as one unified
 * tarball of its total size, compressed as the `filename` the server recorded suggests (the
 * uploaded file's name; for a split image, the root file's, so a `.squashfs` one says nothing:
 * compression "none", no extension). A listing shows it; download() returns what the export
 * really held, and the import detects each file's true format.
 */
export function unifiedGuess(filename: string, size: number): ImageFile {
  const format = formatOfName(filename);
  return {
    role: 'unified',
    size,
    kind: 'tar',
    ...(format?.kind === 'tar' ? {compression: format.compression, extension: format.extension} : {compression: 'none', extension: ''}),
  };
}
