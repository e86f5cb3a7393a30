import {execFile} from 'node:child_process';
import {existsSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';

/** Debian's chromium (CI installs it); CHROMIUM overrides. */
export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const TIME_LIMIT_MS = 60_000;

/** Why the browser tests cannot run here, or false when they can. */
export function chromiumSkipReason(): string | false {
  return existsSync(CHROMIUM) ? false : `no chromium at ${CHROMIUM} (apt-get install chromium)`;
}

/**
 * One headless run with a fresh profile (so runs never share state or lock each other out), no
 * sandbox (tests run as root, where chromium refuses it), and a time limit.
 */
function run(args: string[]): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'img-chromium-'));
  const base = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--hide-scrollbars', '--mute-audio', `--user-data-dir=${profile}`];
  return new Promise<string>((resolve, reject) => {
    execFile(CHROMIUM, [...base, ...args], {timeout: TIME_LIMIT_MS, killSignal: 'SIGKILL', maxBuffer: 256 << 20, encoding: 'utf8'}, (err, stdout, stderr) => {
      rmSync(profile, {recursive: true, force: true});
      if (err) reject(new Error(`chromium ${args.join(' ')}: ${err.message}\n${stderr.slice(-2000)}`));
      else resolve(stdout);
    });
  });
}

/** The DOM of a page after chromium has loaded it, serialized. */
export function renderDom(url: string): Promise<string> {
  return run(['--dump-dom', url]);
}

export interface ScreenshotOptions {
  /** `width,height` in CSS pixels; the shot is of that viewport. */
  windowSize?: string;
  /** Render as a browser whose user prefers a dark colour scheme. */
  dark?: boolean;
}

/** A PNG of a page as chromium draws it. */
export async function screenshot(url: string, pngPath: string, opts: ScreenshotOptions = {}): Promise<void> {
  const args = [`--screenshot=${pngPath}`, `--window-size=${opts.windowSize ?? '1280,1400'}`];
  // preferredColorScheme: 0 is dark, 1 light (blink's enum); --force-dark-mode alone only darkens the browser's own UI.
  args.push(`--blink-settings=preferredColorScheme=${opts.dark ? 0 : 1}`);
  if (opts.dark) args.push('--force-dark-mode');
  await run([...args, url]);
  if (!existsSync(pngPath)) throw new Error(`chromium wrote no screenshot at ${pngPath}`);
}
