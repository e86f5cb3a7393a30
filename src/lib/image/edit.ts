import {UserError} from '../errors.js';
import {decodeYamlV2, YamlV2Error, type GoType} from '../yaml/decode.js';
import type {ImagePut} from './api.js';
import type {ImageRecord} from './types.js';

/** Profiles img knows: only LXD's built-in `default` (img has no profile store). */
const PROFILES = new Set(['default']);

const PUT_TYPE: GoType = {
  kind: 'struct',
  name: 'api.ImagePut',
  fields: {
    auto_update: {kind: 'bool'},
    properties: {kind: 'map', value: {kind: 'string'}},
    public: {kind: 'bool'},
    expires_at: {kind: 'string'},
    profiles: {kind: 'ptr', elem: {kind: 'slice', elem: {kind: 'string'}}},
    // Not editable; read only to refuse an attempt to change them.
    fingerprint: {kind: 'string'},
    architecture: {kind: 'string'},
    type: {kind: 'string'},
    created_at: {kind: 'string'},
  },
};

/** Go's time.RFC3339 layout, which LXD parses edits with: upper-case T and Z. */
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Check an edited time; LXD keeps it as given (fraction, offset), and so does img. */
function checkTime(s: string): string {
  if (!RFC3339.test(s) || Number.isNaN(Date.parse(s)))
    throw new UserError(`expires_at: "${s}" is not an RFC 3339 time (2006-01-02T15:04:05Z)`, {code: 'InvalidTime'});
  return s;
}

/**
 * Apply an edited ImagePut with LXD's PUT semantics: `properties`, `public` and `auto_update`
 * are replaced (absent means empty or false); `expires_at` and `profiles` change only when given.
 * Fields that are not editable are refused when they differ, rather than silently ignored.
 */
export function applyImagePut(record: ImageRecord, yaml: string): ImageRecord {
  type Put = Omit<ImagePut, 'profiles'> & {profiles: string[] | null; fingerprint: string; architecture: string; type: string; created_at: string};
  let put: Put;
  try {
    put = decodeYamlV2<Put>(yaml, PUT_TYPE);
  } catch (err) {
    if (err instanceof YamlV2Error) throw new UserError(`yaml: ${err.message}`, {code: 'InvalidYaml'});
    throw err;
  }
  for (const key of ['fingerprint', 'architecture', 'type'] as const) {
    if (put[key] !== '' && put[key] !== record[key]) throw new UserError(`${key} cannot be changed`, {code: 'Immutable'});
  }
  if (put.created_at !== '' && Date.parse(put.created_at) !== Date.parse(record.created_at)) {
    throw new UserError('created_at cannot be changed', {code: 'Immutable'});
  }
  const next = structuredClone(record);
  next.properties = put.properties;
  next.public = put.public;
  next.auto_update = put.auto_update;
  if (put.expires_at !== '') next.expires_at = checkTime(put.expires_at);
  if (put.profiles !== null) {
    for (const p of put.profiles) if (!PROFILES.has(p)) throw new UserError(`Profile '${p}' doesn't exist`, {code: 'ProfileNotFound'});
    next.profiles = put.profiles;
  }
  return next;
}
