import {InvalidImageError} from '../errors.js';
import {EPOCH, unixToRfc3339} from '../time.js';
import {canonicalArchitecture} from './architectures.js';
import {decodeYamlV2, YamlV2Error, type GoType} from '../yaml/decode.js';
import {stringifyYaml} from '../yaml/encode.js';

/** metadata.yaml larger than this is refused before it is read (LXD sets no limit; we must). */
export const MAX_METADATA_BYTES = 1 << 20;
/** How many YAML nodes decoding may visit, counting alias expansions (a YAML-bomb bound). */
const MAX_METADATA_NODES = 100_000;

export interface TemplateEntry {
  when: string[];
  create_only: boolean;
  template: string;
  properties: Record<string, string>;
}

/** metadata.yaml as LXD's api.ImageMetadata holds it. */
export interface ImageMetadata {
  architecture: string;
  creation_date: bigint;
  expiry_date: bigint;
  properties: Record<string, string>;
  templates: Record<string, TemplateEntry | null>;
}

const TEMPLATE_TYPE: GoType = {
  kind: 'struct',
  name: 'api.ImageMetadataTemplate',
  fields: {
    when: {kind: 'slice', elem: {kind: 'string'}},
    create_only: {kind: 'bool'},
    template: {kind: 'string'},
    properties: {kind: 'map', value: {kind: 'string'}},
  },
};

const METADATA_TYPE: GoType = {
  kind: 'struct',
  name: 'api.ImageMetadata',
  fields: {
    architecture: {kind: 'string'},
    creation_date: {kind: 'int64'},
    expiry_date: {kind: 'int64'},
    properties: {kind: 'map', value: {kind: 'string'}},
    templates: {kind: 'map', value: {kind: 'ptr', elem: TEMPLATE_TYPE}},
  },
};

export interface ValidMetadata {
  metadata: ImageMetadata;
  /** LXD's canonical name for metadata.architecture (amd64 → x86_64). */
  architecture: string;
}

/** The dates LXD can store: Go's time formatting in its database only round-trips years 0000–9999. */
const MIN_DATE = -62167219200n;
const MAX_DATE = 253402300799n;

/**
 * Decode metadata.yaml bytes as LXD's yaml.v2 Decoder does, into `into` when given: LXD decodes
 * every metadata.yaml member it meets before the root marker into one struct, so a second one
 * overrides the first key by key. Refuses oversized, non-UTF, empty and malformed documents.
 */
export function decodeMetadata(bytes: Uint8Array, into?: ImageMetadata): ImageMetadata {
  if (bytes.length > MAX_METADATA_BYTES) {
    throw new InvalidImageError(`metadata.yaml is too large (${bytes.length} bytes; the limit is ${MAX_METADATA_BYTES})`, 'MetadataTooLarge');
  }
  if (bytes.length === 0) throw new InvalidImageError('metadata.yaml is empty (EOF)', 'InvalidMetadata');
  let text: string;
  try {
    text = decodeText(bytes);
  } catch {
    throw new InvalidImageError('metadata.yaml: invalid UTF-8', 'InvalidMetadata');
  }
  try {
    return decodeYamlV2<ImageMetadata>(text, METADATA_TYPE, {maxNodes: MAX_METADATA_NODES, emptyIsEOF: true, into});
  } catch (err) {
    if (err instanceof YamlV2Error) {
      const msg = err.message.startsWith('metadata.yaml') ? err.message : `metadata.yaml: ${err.message}`;
      throw new InvalidImageError(msg, err.kind === 'limit' ? 'MetadataTooComplex' : 'InvalidMetadata');
    }
    throw err;
  }
}

/** yaml.v2 reads UTF-8, or UTF-16 when a byte-order mark says so. */
function decodeText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le', {fatal: true}).decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be', {fatal: true}).decode(bytes.subarray(2));
  return new TextDecoder('utf-8', {fatal: true}).decode(bytes);
}

/** LXD's checks once metadata.yaml is read: a known architecture first, then a creation date. */
export function validateMetadata(metadata: ImageMetadata): ValidMetadata {
  const architecture = canonicalArchitecture(metadata.architecture);
  if (architecture === undefined) {
    // LXD prints nothing after the colon for a missing one; say so.
    throw new InvalidImageError(`Architecture isn't supported: ${metadata.architecture || '(none given)'}`, 'UnsupportedArchitecture');
  }
  if (metadata.creation_date === 0n) throw new InvalidImageError('Missing creation date', 'MissingCreationDate');
  for (const key of ['creation_date', 'expiry_date'] as const) {
    const v = metadata[key];
    // LXD 5.0.2 accepts these, then cannot read the image back from its database; refuse instead.
    if (v < MIN_DATE || v > MAX_DATE) throw new InvalidImageError(`${key} ${v} is outside the years 0000-9999`, 'DateOutOfRange');
  }
  return {metadata, architecture};
}

/**
 * Decode and validate one metadata.yaml with LXD 5.0.2's verdicts: what it accepts (quietly
 * ignoring unknown keys, truncating fractional dates, keeping property scalars as their text) is
 * accepted; what it refuses is refused with the same meaning, in one line.
 */
export function parseMetadata(bytes: Uint8Array): ValidMetadata {
  return validateMetadata(decodeMetadata(bytes));
}

/** The record fields LXD derives from metadata.yaml at import. */
export function metadataRecordFields(valid: ValidMetadata): {architecture: string; created_at: string; expires_at: string; properties: Record<string, string>} {
  const {metadata} = valid;
  return {
    architecture: valid.architecture,
    created_at: unixToRfc3339(metadata.creation_date),
    expires_at: metadata.expiry_date === 0n ? EPOCH : unixToRfc3339(metadata.expiry_date),
    properties: {...metadata.properties},
  };
}

/** Serialise metadata for an image img builds, so that LXD's yaml.v2 reads back exactly these values. */
export function renderMetadata(metadata: ImageMetadata): string {
  const doc: Record<string, unknown> = {
    architecture: metadata.architecture,
    creation_date: Number(metadata.creation_date),
  };
  if (metadata.expiry_date !== 0n) doc.expiry_date = Number(metadata.expiry_date);
  doc.properties = sortKeys(metadata.properties);
  const templates: Record<string, unknown> = {};
  for (const [path, entry] of Object.entries(sortKeys(metadata.templates))) {
    if (!entry) continue;
    const out: Record<string, unknown> = {when: entry.when};
    if (entry.create_only) out.create_only = true;
    out.template = entry.template;
    if (Object.keys(entry.properties).length > 0) out.properties = sortKeys(entry.properties);
    templates[path] = out;
  }
  doc.templates = templates;
  return stringifyYaml(doc);
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
