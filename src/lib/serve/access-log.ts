/** One line per answered request, for people and log tools: the common log format plus the time taken. */

export interface AccessEntry {
  /** The client's address. */
  remote: string;
  method: string;
  /** The request target as sent (path and query). */
  target: string;
  httpVersion: string;
  status: number;
  /** Bytes sent on the connection for this answer, headers included. */
  bytes: number;
  ms: number;
  /** When the request arrived. */
  at: Date;
  /** The response was cut before its end (client gone, shutdown deadline). */
  aborted: boolean;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `127.0.0.1 - - [02/Dec/2026:15:34:12 +0000] "GET /streams/v1/index.json HTTP/1.1" 200 1234 3ms` */
export function formatAccess(e: AccessEntry): string {
  const d = e.at;
  const p = (n: number): string => String(n).padStart(2, '0');
  const when = `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
  // The target is the client's text: quotes and control characters must not forge log fields or lines.
  // eslint-disable-next-line no-control-regex
  const target = e.target.replace(/[\x00-\x20"\\\x7f-\uffff]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  const method = /^[A-Z]{1,16}$/.test(e.method) ? e.method : '-';
  return `${e.remote} - - [${when}] "${method} ${target} HTTP/${e.httpVersion}" ${e.status} ${e.bytes} ${Math.round(e.ms)}ms${e.aborted ? ' aborted' : ''}`;
}

/** Lines handed to `write` together, once per turn of the event loop: under load, one write for many requests. */
export function batchedLines(write: (text: string) => void): (line: string) => void {
  let pending: string[] = [];
  return (line) => {
    if (pending.length === 0) {
      setImmediate(() => {
        const text = `${pending.join('\n')}\n`;
        pending = [];
        write(text);
      });
    }
    pending.push(line);
  };
}
