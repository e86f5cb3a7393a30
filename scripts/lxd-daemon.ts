// Shared by the scripts that regenerate the LXD-captured fixtures: the preconditions, a throwaway
// daemon that is torn down even on Ctrl-C, what to write into a fixture's `origin`, and where the
// output goes. The daemon itself is test/helpers/lxd.ts's ThrowawayLxd (LXD_DIR and LXD_CONF in a
// short temporary directory, `lxd --group root --logfile …`, `lxd waitready --timeout=60`, SIGTERM,
// `umount -l` of what it mounted there, rm -rf), so tests and scripts start LXD the same way.
import {spawnSync} from 'node:child_process';
import {renameSync, writeFileSync} from 'node:fs';
import {resolve} from 'node:path';
import {hasCommand} from '../test/helpers/cli.js';
import {ThrowawayLxd} from '../test/helpers/lxd.js';

export {ThrowawayLxd};

/** Print one line to stderr and exit 1. */
export function die(script: string, message: string): never {
  process.stderr.write(`${script}: ${message}\n`);
  process.exit(1);
}

/** Progress on stderr, so that stdout can carry the fixture. */
export function say(script: string, message: string): void {
  process.stderr.write(`${script}: ${message}\n`);
}

/** Exit with one clear line unless LXD can be run here. */
export function requireLxd(script: string): void {
  const missing = ['lxd', 'lxc'].filter((c) => !hasCommand(c));
  if (missing.length > 0) die(script, `${missing.join(' and ')} not found on PATH: install LXD 5.0.2 first (apt-get install -y lxd)`);
  if (process.getuid?.() !== 0) die(script, 'must run as root: the throwaway LXD daemon needs it');
}

/** LXD's version and the Debian package's, for a fixture's `origin`. */
export function lxdVersions(): {lxd: string; debian: string} {
  const lxd = spawnSync('lxd', ['--version'], {encoding: 'utf8'}).stdout.trim();
  const q = spawnSync('dpkg-query', ['-W', '-f', '${Version}', 'lxd'], {encoding: 'utf8'});
  return {lxd: lxd || 'unknown', debian: q.status === 0 && q.stdout.trim() ? q.stdout.trim() : 'not from a Debian package'};
}

/** Today in UTC, as the fixtures write dates. */
export const today = (): string => new Date().toISOString().slice(0, 10);

let interrupted: NodeJS.Signals | undefined;

class Interrupted extends Error {}

/**
 * Yield to the event loop and stop here if a signal came. The scripts call `lxc` synchronously, so
 * a signal handler only runs at such points; stopping at one keeps the teardown from racing with
 * an `lxc` call that is still talking to the daemon.
 */
export async function checkpoint(): Promise<void> {
  await new Promise((r) => setImmediate(r));
  if (interrupted) throw new Interrupted(interrupted);
}

/**
 * Run `fn` against a fresh throwaway daemon and always tear it down, also on SIGINT/SIGTERM: the
 * daemon is our child, and left alone it would keep running with its tmpfs mounts under /tmp.
 */
export async function withThrowawayLxd<T>(script: string, fn: (lxd: ThrowawayLxd) => Promise<T> | T): Promise<T> {
  let lxd: ThrowawayLxd;
  try {
    lxd = await ThrowawayLxd.start();
  } catch (err) {
    die(
      script,
      String(err instanceof Error ? err.message : err)
        .replace(/\s+/g, ' ')
        .trim(),
    );
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      say(script, `${signal} again: exiting without cleanup; remove ${lxd.dir} by hand (umount -l what is mounted under it first)`);
      process.exit(1);
    }
    interrupted = signal;
    say(script, `${signal}: stopping the throwaway LXD daemon`);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(lxd);
  } catch (err) {
    if (err instanceof Interrupted) {
      await lxd.stop();
      process.exit(interrupted === 'SIGINT' ? 130 : 143);
    }
    throw err;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await lxd.stop();
  }
}

export interface OutputChoice {
  /** Replace the committed fixture. */
  write: boolean;
  /** Where to write instead; undefined means stdout. */
  out: string | undefined;
}

/**
 * Refuse a bad output choice before any work is done: both --write and a path, or the committed
 * fixture named as the path (so that a stray argument cannot replace a capture that took a real
 * daemon to make).
 */
export function checkOutput(script: string, choice: OutputChoice, committed: string): void {
  if (choice.write && choice.out !== undefined) die(script, 'give either --write or an output path, not both');
  if (!choice.write && choice.out !== undefined && resolve(choice.out) === resolve(committed)) {
    die(script, `${choice.out} is the committed fixture: pass --write to replace it`);
  }
}

/** Write a regenerated fixture to stdout, to `out`, or (only with --write) over the committed file. */
export function writeOutput(script: string, text: string, choice: OutputChoice, committed: string): void {
  checkOutput(script, choice, committed);
  const target = choice.write ? committed : choice.out;
  if (target === undefined) {
    process.stdout.write(text);
    return;
  }
  // Through a temporary name, so that an interrupted write leaves the old file whole.
  const tmp = `${target}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, target);
  say(script, `wrote ${target}`);
}
