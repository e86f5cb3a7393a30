// `img serve` in a child process, as users and LXD meet it: started on port 0, its URL read from
// the line it prints when listening, its stdout (the access log) collected.
import assert from 'node:assert/strict';
import {spawn, type ChildProcess} from 'node:child_process';
import {randomBytes} from 'node:crypto';
import {appendFileSync, mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {fingerprintIn, img, IMG_BIN} from './cli.js';
import {tar} from './images.js';

export interface ServeChild {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number | null>;
  /** SIGTERM (or `signal`), then its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startServe(home: string, args: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<ServeChild> {
  const child = spawn(process.execPath, [IMG_BIN, 'serve', '--listen', '127.0.0.1:0', ...args], {
    env: {...process.env, IMG_HOME: home, ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`img serve did not start in 30 s:\n${out}\n${err}`)), 30_000);
    const look = (): void => {
      const m = /^Serving \d+ public images? on (\S+)$/m.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off('data', look);
      resolve(m[1]!);
    };
    child.stdout!.on('data', look);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`img serve exited with ${code}:\n${out}\n${err}`));
    });
  });
  return {
    child,
    url,
    stdout: () => out,
    stderr: () => err,
    exited,
    stop: async (signal = 'SIGTERM') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A public unified image whose rootfs holds `mib` MiB of random bytes (incompressible, so the file is that large). */
export function bigImage(work: string, home: string, mib: number, alias: string): string {
  const dir = join(work, `big-${alias}`);
  mkdirSync(join(dir, 'rootfs'), {recursive: true});
  writeFileSync(join(dir, 'metadata.yaml'), `architecture: x86_64\ncreation_date: 1700000000\nproperties:\n  os: big\n  release: "${alias}"\n`);
  // In 1 MiB pieces: the test's own memory stays small however large the image.
  for (let i = 0; i < mib; i++) appendFileSync(join(dir, 'rootfs', 'blob'), randomBytes(1 << 20));
  tar(['-cf', join(dir, 'big.tar'), '-C', dir, 'metadata.yaml', 'rootfs']);
  const r = img(['image', 'import', join(dir, 'big.tar'), '--public', '--alias', alias], {home});
  assert.equal(r.code, 0, r.stderr);
  return fingerprintIn(r.stdout)!;
}
