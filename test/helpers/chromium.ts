import {execFile} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {inflateSync} from 'node:zlib';

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

/** Where tests leave screenshots for people to look at (git ignores it). */
export const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

export interface Png {
  width: number;
  height: number;
  /** [r, g, b] at (x, y). */
  pixel(x: number, y: number): [number, number, number];
}

/** The 8-bit RGB(A), non-interlaced PNGs chromium writes, decoded enough to read pixels. */
export function readPng(path: string): Png {
  const data = readFileSync(path);
  const width = data.readUInt32BE(16);
  const height = data.readUInt32BE(20);
  const [depth, colour, , , interlace] = data.subarray(24, 29);
  if (depth !== 8 || (colour !== 2 && colour !== 6) || interlace !== 0) throw new Error(`${path}: not an 8-bit RGB(A) non-interlaced PNG`);
  const idat: Buffer[] = [];
  for (let at = 8; at < data.length;) {
    const len = data.readUInt32BE(at);
    if (data.toString('latin1', at + 4, at + 8) === 'IDAT') idat.push(data.subarray(at + 8, at + 8 + len));
    at += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const bpp = colour === 6 ? 4 : 3;
  const stride = width * bpp;
  const rows = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? rows[y * stride + i - bpp]! : 0;
      const b = y > 0 ? rows[(y - 1) * stride + i]! : 0;
      const c = i >= bpp && y > 0 ? rows[(y - 1) * stride + i - bpp]! : 0;
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predict = [0, a, b, (a + b) >> 1, paeth][filter] ?? 0;
      rows[y * stride + i] = (line[i]! + predict) & 0xff;
    }
  }
  return {width, height, pixel: (x, y) => [rows[y * stride + x * bpp]!, rows[y * stride + x * bpp + 1]!, rows[y * stride + x * bpp + 2]!]};
}
