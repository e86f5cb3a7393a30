/**
 * Whether a request to a feed's URL is a person's browser, which gets the page, or a client
 * (LXD, curl, a script), which gets the JSON it asked for.
 */
interface MediaRange {
  type: string;
  q: number;
}

function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of accept.split(',')) {
    const [media = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
    if (!/^[\w.+*-]+\/[\w.+*-]+$/.test(media)) continue;
    let q = 1;
    for (const p of params) {
      const m = /^q\s*=\s*([0-9.]+)$/.exec(p);
      if (m) q = Number(m[1]);
    }
    if (Number.isFinite(q) && q >= 0 && q <= 1) ranges.push({type: media, q});
  }
  return ranges;
}

/** The q a list gives a media type: that of its most specific matching range (RFC 9110 §12.5.1). */
function qualityOf(ranges: readonly MediaRange[], type: string): number {
  const [major] = type.split('/');
  for (const candidate of [type, `${major}/*`, '*/*']) {
    const hit = ranges.find((r) => r.type === candidate);
    if (hit) return hit.q;
  }
  return 0;
}

/**
 * Whether a request is a browser's: its Accept names text/html itself (not only through a wildcard range,
 * which curl, wget and scripts send) with q > 0, ranked no lower than application/json. LXD's
 * client sends no Accept at all, so it keeps getting JSON.
 */
export function prefersHtml(accept: string | undefined): boolean {
  if (!accept) return false;
  const ranges = parseAccept(accept);
  const html = ranges.find((r) => r.type === 'text/html');
  return html !== undefined && html.q > 0 && html.q >= qualityOf(ranges, 'application/json');
}
