import type {Compression, PayloadKind} from '../archive/detect.js';
import type {InstanceType} from '../archive/image-scan.js';
import type {FileRole} from '../image/read-image.js';

export interface StoredFile {
  role: FileRole;
  size: number;
  kind: PayloadKind;
  compression: Compression;
  /** Extension LXD uses for this file in export names (".tar.xz", ".squashfs"…). */
  extension: string;
  /** Digests of this file alone; sha1 and md5 (and a rootfs's sha256) are filled in on first use. */
  sha256?: string;
  sha1?: string;
  md5?: string;
}

export interface UpdateSource {
  alias: string;
  certificate: string;
  protocol: string;
  server: string;
  image_type: string;
}

/** What img keeps about one image (images/<fp>/image.json). Aliases live in aliases.json. */
export interface ImageRecord {
  fingerprint: string;
  type: InstanceType;
  architecture: string;
  size: number;
  filename: string;
  properties: Record<string, string>;
  public: boolean;
  cached: boolean;
  auto_update: boolean;
  profiles: string[];
  created_at: string;
  uploaded_at: string;
  last_used_at: string;
  expires_at: string;
  update_source: UpdateSource | null;
  files: StoredFile[];
}

export interface AliasEntry {
  name: string;
  description: string;
  target: string;
}

/** An image with its aliases, as commands and the API show it. */
export interface ImageView extends ImageRecord {
  aliases: Array<{name: string; description: string}>;
}

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
  out.files = view.files.map((f) => {
    const file: Record<string, unknown> = {role: f.role, size: f.size, compression: f.compression, format: f.kind};
    for (const k of ['sha256', 'sha1', 'md5'] as const) if (f[k]) file[k] = f[k];
    return file;
  });
  return out;
}

/** The file names LXD gives an image's files on export: <fp>.tar.xz, or meta-<fp>.tar.xz + <fp>.squashfs. */
export function exportNames(record: ImageRecord): Map<FileRole, string> {
  const names = new Map<FileRole, string>();
  for (const f of record.files) {
    names.set(f.role, f.role === 'metadata' ? `meta-${record.fingerprint}${f.extension}` : `${record.fingerprint}${f.extension}`);
  }
  return names;
}
