/** Timestamps as LXD's API writes them (Go's time.Time in RFC 3339, UTC). */

/** Go's zero time, which LXD shows for "never" on fields such as last_used_at. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';
/** The Unix epoch, which LXD shows for an image imported without expiry. */
export const EPOCH = '1970-01-01T00:00:00Z';

const pad = (n: bigint | number, width: number): string => {
  const s = (n < 0 ? -n : n).toString().padStart(width, '0');
  return n < 0 ? `-${s}` : s;
};

/**
 * RFC 3339 for any int64 count of Unix seconds, as Go formats it: JavaScript's Date stops at
 * year 275760, while metadata.yaml may carry any int64 (LXD accepts them).
 */
export function unixToRfc3339(seconds: bigint | number): string {
  const s = BigInt(seconds);
  let days = s / 86400n;
  let rem = s % 86400n;
  if (rem < 0n) {
    rem += 86400n;
    days -= 1n;
  }
  // Howard Hinnant's civil_from_days, in BigInt.
  const z = days + 719468n;
  const era = (z >= 0n ? z : z - 146096n) / 146097n;
  const doe = z - era * 146097n;
  const yoe = (doe - doe / 1460n + doe / 36524n - doe / 146096n) / 365n;
  const doy = doe - (365n * yoe + yoe / 4n - yoe / 100n);
  const mp = (5n * doy + 2n) / 153n;
  const d = doy - (153n * mp + 2n) / 5n + 1n;
  const m = mp < 10n ? mp + 3n : mp - 9n;
  const y = yoe + era * 400n + (m <= 2n ? 1n : 0n);
  const hh = rem / 3600n;
  const mm = (rem % 3600n) / 60n;
  const ss = rem % 60n;
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}T${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}Z`;
}

/** Now, as LXD writes uploaded_at: RFC 3339 with the fraction of the second when non-zero. */
export function nowRfc3339(date: Date = new Date()): string {
  return date.toISOString().replace(/\.000Z$/, 'Z');
}

/** True when the time is "never" as LXD's CLI shows it (at or before the epoch). */
export function isUnset(s: string | undefined): boolean {
  if (!s) return true;
  const t = Date.parse(s);
  return Number.isNaN(t) || t <= 0;
}
