import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {hasCommand, type RunResult} from './cli.js';

/**
 * Why LXD tests cannot run here, or false when they can. Tests pass this to `skip`, so a run
 * without LXD says so in its report instead of passing quietly.
 */
export function lxdSkipReason(): string | false {
  if (!hasCommand('lxd') || !hasCommand('lxc')) return 'skipped: lxd not installed';
  if (process.getuid?.() !== 0) return 'skipped: lxd needs root';
  return false;
}

/**
 * A throwaway LXD daemon (LXD_DIR and LXD_CONF in a fresh temporary directory) that touches no
 * other LXD on the machine; no storage pool is needed to import, export and copy images.
 */
export class ThrowawayLxd {
  private constructor(
    readonly dir: string,
    private readonly daemon: ChildProcess,
  ) {}

  get env(): NodeJS.ProcessEnv {
    return {...process.env, LXD_DIR: join(this.dir, 'var'), LXD_CONF: join(this.dir, 'conf')};
  }

  /** `opts.env` is added to the daemon's environment only (e.g. SSL_CERT_FILE, so that it trusts a test CA). */
  static async start(opts: {env?: NodeJS.ProcessEnv} = {}): Promise<ThrowawayLxd> {
    // Short path: the daemon's unix socket path must stay under ~107 bytes.
    const dir = mkdtempSync('/tmp/lxt.');
    mkdirSync(join(dir, 'var'));
    mkdirSync(join(dir, 'conf'));
    writeFileSync(join(dir, 'conf', 'config.yml'), ''); // no first-run banner from lxc
    const env = {...process.env, LXD_DIR: join(dir, 'var'), LXD_CONF: join(dir, 'conf')};
    const daemon = spawn('lxd', ['--group', 'root', '--logfile', join(dir, 'lxd.log')], {env: {...env, ...opts.env}, stdio: 'ignore', detached: false});
    const lxd = new ThrowawayLxd(dir, daemon);
    const ready = spawnSync('lxd', ['waitready', '--timeout=60'], {env, encoding: 'utf8'});
    if (ready.status !== 0) {
      const log = (() => {
        try {
          return readFileSync(join(dir, 'lxd.log'), 'utf8').slice(-2000);
        } catch {
          return '';
        }
      })();
      await lxd.stop();
      throw new Error(`lxd did not start: ${ready.stderr} ${log}`);
    }
    return lxd;
  }

  lxc(args: string[]): RunResult {
    const r = spawnSync('lxc', args, {env: this.env, encoding: 'utf8', maxBuffer: 64 << 20});
    return {code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr};
  }

  /**
   * Import files into LXD; returns its fingerprint, or the error it printed. The lxc 5.0.2 client
   * sometimes hangs for good after an import that fails fast (about 1 in 16, whatever the input,
   * while the daemon's operation has ended), so each attempt has a time limit and is retried.
   */
  importImage(files: string[], extra: string[] = []): {fingerprint?: string; error?: string} {
    for (let attempt = 0; ; attempt++) {
      const r = spawnSync('lxc', ['image', 'import', ...files, ...extra], {env: this.env, encoding: 'utf8', timeout: 30_000});
      if (r.error && attempt < 3) continue;
      const fp = /\b[0-9a-f]{64}\b/.exec(r.stdout + r.stderr)?.[0];
      if (r.status === 0 && fp) return {fingerprint: fp};
      const err = r.stderr.trim().replace(/^Error: /, '');
      return {error: err};
    }
  }

  /**
   * lxc, asynchronously (a feed served from the test's own process keeps answering while LXD
   * downloads from it), killed after `timeoutMs`: the lxc 5.0.2 client sometimes hangs for good
   * once its operation has ended, so callers retry a timed-out run.
   */
  lxcAsync(args: string[], timeoutMs: number): Promise<RunResult & {timedOut: boolean}> {
    return new Promise((resolve) => {
      const child = spawn('lxc', args, {env: this.env, stdio: ['ignore', 'pipe', 'pipe']});
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({code: code ?? -1, stdout, stderr, timedOut});
      });
    });
  }

  /**
   * Copy an image into LXD from a simplestreams server by alias (or fingerprint), through the REST
   * API: `lxc image copy` takes only https:// simplestreams remotes, the API takes http:// too
   * (simplestreams.md §4). Resolves to LXD's fingerprint, or its error. Asynchronous, so that a
   * feed served from the test's own process keeps answering while LXD downloads. Time-limited and
   * retried as importImage is; a retry of a copy that did finish finds the image there at once.
   */
  async copyFromSimplestreams(
    server: string,
    alias: string,
    opts: {type?: 'container' | 'virtual-machine'; timeoutMs?: number} = {},
  ): Promise<{fingerprint?: string; error?: string}> {
    const source: Record<string, string> = {type: 'image', mode: 'pull', server, protocol: 'simplestreams', alias};
    if (opts.type) source.image_type = opts.type;
    const data = JSON.stringify({source});
    for (let attempt = 0; ; attempt++) {
      const r = await this.lxcAsync(['query', '-X', 'POST', '--wait', '/1.0/images', '--data', data], opts.timeoutMs ?? 120_000);
      if (r.timedOut && attempt < 3) continue;
      if (r.code === 0) {
        // --wait prints the finished operation, whose metadata is {"fingerprint": …, "size": …}.
        const op = JSON.parse(r.stdout) as {status?: string; err?: string; metadata?: {fingerprint?: unknown}};
        if (op.status === 'Success' && typeof op.metadata?.fingerprint === 'string') return {fingerprint: op.metadata.fingerprint};
        if (op.err) return {error: op.err};
      }
      return {error: (r.stderr.trim() || r.stdout.trim() || (r.timedOut ? 'timed out' : `exit ${r.code}`)).replace(/^Error: /, '')};
    }
  }

  /** The image object LXD's API returns. */
  image(fingerprint: string): Record<string, unknown> {
    const r = this.lxc(['query', `/1.0/images/${fingerprint}`]);
    if (r.code !== 0) throw new Error(r.stderr);
    return JSON.parse(r.stdout) as Record<string, unknown>;
  }

  deleteAll(): void {
    const r = this.lxc(['image', 'list', '--format', 'csv', '-c', 'F']);
    for (const fp of r.stdout.split('\n').filter(Boolean)) this.lxc(['image', 'delete', fp]);
  }

  async stop(): Promise<void> {
    if (this.daemon.exitCode === null && this.daemon.signalCode === null) {
      const exited = new Promise((r) => this.daemon.once('exit', r));
      this.daemon.kill('SIGTERM');
      const timer = setTimeout(() => this.daemon.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    }
    // LXD mounts tmpfs under its directory (shmounts, devlxd): unmount before removing.
    const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
      .split('\n')
      .map((l) => l.split(' ')[4])
      .filter((m): m is string => m !== undefined && m.startsWith(`${this.dir}/`))
      .sort()
      .reverse();
    for (const m of mounts) spawnSync('umount', ['-l', m]);
    rmSync(this.dir, {recursive: true, force: true});
  }
}
