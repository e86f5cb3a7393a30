// The metadata.yaml verdicts measured with a real LXD 5.0.2 (test/fixtures/lxd-metadata-verdicts.json)
// and how to hold img's refusals to the same meaning.
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import {tarBytes} from './tar-bytes.js';

export interface Verdict {
  accepted: boolean;
  error?: string;
  architecture?: string;
  created_at?: string;
  expires_at?: string;
  properties?: Record<string, string>;
  type?: string;
}

export interface VerdictCase {
  name: string;
  kind: 'metadata' | 'tar';
  metadata_yaml?: string;
  metadata_yaml_base64?: string;
  lxd: Verdict;
}

export const VERDICTS = JSON.parse(readFileSync(new URL('../fixtures/lxd-metadata-verdicts.json', import.meta.url), 'utf8')) as {
  origin: string;
  cases: VerdictCase[];
};

/** The metadata.yaml bytes of a case, or undefined for the generated (size) cases. */
export function caseBytes(c: VerdictCase): Buffer | undefined {
  if (c.metadata_yaml !== undefined) return Buffer.from(c.metadata_yaml);
  if (c.metadata_yaml_base64 !== undefined) return Buffer.from(c.metadata_yaml_base64, 'base64');
  return undefined;
}

/** A unified image carrying `meta` as its metadata.yaml, as the fixture's tarballs were. */
export function imageWithMetadata(meta: Buffer): Buffer {
  return tarBytes([
    ['metadata.yaml', meta],
    ['rootfs/', ''],
    ['rootfs/etc/', ''],
    ['rootfs/etc/hostname', 'tiny\n'],
  ]);
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Assert that img's refusal means what LXD's did, matched on LXD's key phrase. Where LXD prints
 * nothing after "Architecture isn't supported:", img says so in words; where LXD 5.0.2 stores a
 * date it cannot read back, img refuses it up front.
 */
export function assertSameMeaning(lxdError: string, img: {message: string; code?: string}): void {
  const m = img.message;
  const typeError = /line \d+: cannot unmarshal [^\n]*/.exec(lxdError)?.[0];
  if (typeError) return assert.match(m, new RegExp(escape(typeError)));
  if (lxdError.startsWith("Architecture isn't supported:")) {
    const name = lxdError.slice("Architecture isn't supported:".length).replace(/^ /, '');
    return assert.match(
      m,
      name.trim() === '' ? /^Architecture isn't supported: \(none given\)$/ : new RegExp(`^Architecture isn't supported: ${escape(name)}$`),
    );
  }
  if (lxdError === 'Missing creation date') return assert.equal(m, lxdError);
  if (lxdError === 'EOF') return assert.match(m, /EOF/);
  if (lxdError.includes('input data too large')) return assert.match(m, /too large/);
  if (lxdError.includes('control characters')) return assert.match(m, /control characters are not allowed/);
  if (lxdError.includes('invalid leading UTF-8')) return assert.match(m, /invalid UTF-8/);
  if (lxdError.includes('unknown anchor')) return assert.match(m, new RegExp(escape(/unknown anchor '[^']*' referenced/.exec(lxdError)![0])));
  if (lxdError.includes('incompatible YAML document')) return assert.match(m, /found incompatible YAML document/);
  if (lxdError.includes('parsing time')) return assert.match(m, /outside the years 0000-9999/);
  if (/^yaml: line \d+: /.test(lxdError)) return assert.match(m, /^metadata\.yaml: line \d+: /);
  assert.fail(`no meaning known for LXD's error: ${lxdError}`);
}
