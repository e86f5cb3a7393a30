import {spawn, spawnSync} from 'node:child_process';
import {fileURLToPath} from 'node:url';

/** The built CLI (npm test builds first). */
export const IMG_BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
export const PROJECT = fileURLToPath(new URL('../../', import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  home: string;
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Run `img` with IMG_HOME set, synchronously. */
export function img(args: string[], opts: RunOptions): RunResult {
  const r = spawnSync(process.execPath, [IMG_BIN, ...args], {
    env: {...process.env, IMG_HOME: opts.home, ...opts.env},
    input: opts.input,
    cwd: opts.cwd,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return {code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr};
}

/** Run `img` asynchronously (for concurrent runs). */
export function imgAsync(args: string[], opts: RunOptions): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [IMG_BIN, ...args], {env: {...process.env, IMG_HOME: opts.home, ...opts.env}, cwd: opts.cwd});
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
    child.on('close', (code) => resolve({code: code ?? -1, stdout, stderr}));
  });
}

/** The first 64-hex fingerprint in a text. */
export function fingerprintIn(text: string): string | undefined {
  return /\b[0-9a-f]{64}\b/.exec(text)?.[0];
}

/** True when `cmd` can be run (found on PATH). */
export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], {stdio: 'ignore'}).status === 0;
}

/** Assert-friendly: a user error is one `Error:` line and no stack trace. */
export function isCleanError(stderr: string): boolean {
  const lines = stderr.split('\n').filter((l) => l.trim() !== '');
  return lines.some((l) => l.startsWith('Error: ')) && !lines.some((l) => /^\s+at .+:\d+:\d+\)?$/.test(l));
}
