import type {VerifyResult} from '../lib/store/verify.js';

/** `img image verify`'s line(s) for one image: `ok <fp>`, or one line per problem. */
export function renderVerify(r: VerifyResult): string {
  if (r.ok) return `ok ${r.fingerprint}\n`;
  return r.problems
    .map((p) => {
      if (p.kind === 'missing') return `MISSING ${r.fingerprint} ${p.file}\n`;
      if (p.kind === 'corrupt') return `CORRUPT ${r.fingerprint} ${p.file}: ${p.detail}\n`;
      return `MISMATCH ${r.fingerprint} ${p.file}: expected ${p.expected} got ${p.got}\n`;
    })
    .join('');
}
