import type {DetectedFormat} from '../archive/detect.js';
import {metadataRecordFields, type ValidMetadata} from '../image/metadata.js';
import type {FileRole, ImageFile, ImageRecord, InstanceType} from '../image/types.js';
import {GO_ZERO_TIME, nowRfc3339} from '../time.js';

/** What a record is made from: an image read from files (import, a download), or one img built. */
export interface ImageFacts {
  fingerprint: string;
  type: InstanceType;
  metadata: ValidMetadata;
  size: number;
  files: Array<{role: FileRole; size: number; format: DetectedFormat; sha256?: string; sourceName?: string}>;
}

/** The record LXD would create for a new image. */
export function newRecord(facts: ImageFacts, opts: {public: boolean; properties: Record<string, string>; filename?: string}): ImageRecord {
  const fields = metadataRecordFields(facts.metadata);
  const files: ImageFile[] = facts.files.map((f) => {
    const file: ImageFile = {role: f.role, size: f.size, kind: f.format.kind, compression: f.format.compression, extension: f.format.extension};
    if (f.sha256) file.sha256 = f.sha256;
    return file;
  });
  // LXD records the uploaded file's name: the tarball for unified images, the root file for split.
  const named = facts.files.find((f) => f.role !== 'metadata');
  return {
    fingerprint: facts.fingerprint,
    type: facts.type,
    architecture: fields.architecture,
    size: facts.size,
    filename: opts.filename ?? (named?.sourceName && named.sourceName !== '-' ? named.sourceName : ''),
    properties: {...fields.properties, ...opts.properties},
    public: opts.public,
    cached: false,
    auto_update: false,
    profiles: ['default'],
    created_at: fields.created_at,
    uploaded_at: nowRfc3339(),
    last_used_at: GO_ZERO_TIME,
    expires_at: fields.expires_at,
    update_source: null,
    files,
  };
}
