// Must-show 7 of issue 7: under 200 concurrent downloads of a 100 MB image over loopback, every
// response is correct (its sha256 checked here) and img serve's memory stays flat (its RSS sampled
// from /proc throughout, and its high-water mark at the end); path-traversal attempts made
// meanwhile get 400 or 404.
import assert from 'node:assert/strict';
import {createHash} from 'node:crypto';
import {readFileSync} from 'node:fs';
import http from 'node:http';
import {join} from 'node:path';
import {describe, it} from 'node:test';
import {bigImage, startServe} from '../helpers/serve.js';
import {tempDir} from '../helpers/tmp.js';
import {request} from '../lib/serve/http.js';

const CLIENTS = 200;
const MIB = 100;
/** img serve's resident memory may not pass this, startup included (Node and img load in about 60 MB). */
const PEAK_LIMIT = 150 << 20;

function memory(pid: number): {rss: number; hwm: number} {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return {rss: kb('VmRSS'), hwm: kb('VmHWM')};
}

/** Download `path` and hash it as it arrives: nothing of the body is kept. */
function download(agent: http.Agent, url: string): Promise<{status: number; bytes: number; sha256: string}> {
  return new Promise((resolve, reject) => {
    http
      .get(url, {agent}, (res) => {
        const hash = createHash('sha256');
        let bytes = 0;
        res.on('data', (c: Buffer) => {
          hash.update(c);
          bytes += c.length;
        });
        res.on('end', () => resolve({status: res.statusCode ?? 0, bytes, sha256: hash.digest('hex')}));
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

describe('img serve under load', () => {
  it(`serves ${CLIENTS} concurrent downloads of a ${MIB} MiB image, each correct, in flat memory; traversal attempts meanwhile get 400/404`, async () => {
    const work = tempDir();
    const home = join(work, 'home');
    const fp = bigImage(work, home, MIB, 'load');
    const s = await startServe(home);
    const pid = s.child.pid!;
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(memory(pid).rss), 100);
    const agent = new http.Agent({maxSockets: CLIENTS});
    const url = `${s.url}/files/${fp}/lxd_combined.tar.gz`;
    try {
      const size = Number((await request(s.url, `/files/${fp}/lxd_combined.tar.gz`, {method: 'HEAD'})).headers['content-length']);
      assert.ok(size > MIB << 20);
      const started = Date.now();
      const downloads = Array.from({length: CLIENTS}, () => download(agent, url));
      const attacks = [
        '/files/../images',
        `/files/${fp}/../../aliases.json`,
        '/files/%2e%2e/%2e%2e/aliases.json',
        `/files/${fp}%2funified`,
        `/files/${fp}/unified`,
      ];
      await new Promise((r) => setTimeout(r, 500));
      for (const path of attacks) {
        const a = await request(s.url, path);
        assert.ok(a.status === 400 || a.status === 404, `${path}: ${a.status}`);
      }
      const results = await Promise.all(downloads);
      const seconds = (Date.now() - started) / 1000;
      clearInterval(sampler);
      const {hwm} = memory(pid);
      const bad = results.filter((r) => r.status !== 200 || r.bytes !== size || r.sha256 !== fp);
      assert.equal(bad.length, 0, `${bad.length} wrong answers, e.g. ${JSON.stringify(bad[0])}`);
      const peak = Math.max(...samples);
      const mb = (n: number): string => `${(n / (1 << 20)).toFixed(0)} MiB`;
      process.stderr.write(
        `# ${CLIENTS} × ${mb(size)} in ${seconds.toFixed(1)} s (${((CLIENTS * size) / (1 << 30) / seconds).toFixed(2)} GiB/s); img serve RSS: peak sampled ${mb(peak)}, VmHWM ${mb(hwm)}, ${samples.length} samples\n`,
      );
      process.stderr.write(
        `# samples ${samples
          .filter((_, i) => i % 10 === 0)
          .map((n) => Math.round(n / 1048576))
          .join(' ')}\n`,
      );
      assert.ok(hwm < PEAK_LIMIT, `img serve's peak RSS ${mb(hwm)} is over ${mb(PEAK_LIMIT)}`);
    } finally {
      clearInterval(sampler);
      agent.destroy();
      assert.equal(await s.stop(), 0);
    }
  });
});
