/**
 * LXD's API shapes of an image: the api.Image object that `--format json` prints and `img serve`
 * will answer with, and the editable api.ImagePut that `show` prints and `edit` takes.
 */
import type {ImageRecord, ImageView} from './types.js';

/**
 * The LXD API's image object (field order as LXD 5.0.2 emits it), plus img's `files` with the
 * digests known so far. Go clients ignore the extra field.
 */
export function toLxdImage(view: ImageView): Record<string, unknown> {
  const out: Record<string, unknown> = {
    auto_update: view.auto_update,
    properties: view.properties,
    public: view.public,
    expires_at: view.expires_at,
    profiles: view.profiles,
    aliases: view.aliases,
    architecture: view.architecture,
    cached: view.cached,
    filename: view.filename,
    fingerprint: view.fingerprint,
    size: view.size,
  };
  if (view.update_source) out.update_source = view.update_source;
  out.type = view.type;
  out.created_at = view.created_at;
  out.last_used_at = view.last_used_at;
  out.uploaded_at = view.uploaded_at;
  if (view.update_check) out.update_check = view.update_check;
  out.files = view.files.map((f) => {
    const file: Record<string, unknown> = {role: f.role, size: f.size, compression: f.compression, format: f.kind};
    for (const k of ['sha256', 'sha1', 'md5'] as const) if (f[k]) file[k] = f[k];
    return file;
  });
  return out;
}

/** The editable part of an image (LXD's api.ImagePut), in LXD's key order. */
export interface ImagePut {
  auto_update: boolean;
  properties: Record<string, string>;
  public: boolean;
  expires_at: string;
  profiles: string[];
}

export function imagePut(record: ImageRecord): ImagePut {
  const properties = Object.fromEntries(Object.entries(record.properties).sort(([a], [b]) => (a < b ? -1 : 1)));
  return {auto_update: record.auto_update, properties, public: record.public, expires_at: record.expires_at, profiles: record.profiles};
}
