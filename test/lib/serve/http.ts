// A raw HTTP client for the serve tests: the path goes on the wire exactly as given (fetch and URL
// would normalise `..` and percent-escapes away, which is what the traversal tests must not let happen).
import http from 'node:http';
import https from 'node:https';

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export function request(origin: string, path: string, opts: {method?: string; headers?: http.OutgoingHttpHeaders; ca?: string} = {}): Promise<Answer> {
  const url = new URL(origin);
  const lib = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(
      {host: url.hostname, port: url.port, path, method: opts.method ?? 'GET', headers: opts.headers ?? {}, agent: false, ...(opts.ca ? {ca: opts.ca} : {})},
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks)}));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
