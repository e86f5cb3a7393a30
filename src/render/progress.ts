import type {BuildProgress} from '../lib/image/build.js';

/**
 * One progress line on stderr, redrawn in place, only when stderr is a terminal: piped output and
 * logs stay clean. Never on stdout, so `--format json` output is never mixed with it.
 */
export class Progress {
  private last = 0;
  private shown = false;
  private start = Date.now();

  constructor(
    private label: string,
    private readonly enabled: boolean,
    private readonly stream: NodeJS.WriteStream = process.stderr,
  ) {}

  static forTerminal(label: string, quiet: boolean): Progress {
    return new Progress(label, !quiet && process.stderr.isTTY === true);
  }

  update(done: number, total?: number): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100 && (total === undefined || done < total)) return;
    this.last = now;
    const secs = Math.max(0.001, (now - this.start) / 1000);
    const rate = `${formatBytes(done / secs)}/s`;
    const part = total ? `${Math.floor((done / total) * 100)}% (${formatBytes(done)}/${formatBytes(total)})` : formatBytes(done);
    // After a second the rate means something, and with a total it says when the work will end.
    const eta = total && done > 0 && done < total && secs >= 1 ? `, ETA ${formatDuration(((total - done) / done) * secs)}` : '';
    this.stream.write(`\r\x1b[K${this.label}: ${part} ${rate}${eta}`);
    this.shown = true;
  }

  /** Go on under another label (the next phase of the work): the rate starts again. */
  phase(label: string): void {
    this.label = label;
    this.start = Date.now();
    this.last = 0;
    if (!this.enabled) return;
    this.stream.write(`\r\x1b[K${label}…`);
    this.shown = true;
  }

  /** A one-off notice (e.g. waiting for the store lock), shown on a terminal only. */
  note(message: string): void {
    if (!this.enabled) return;
    this.clear();
    this.stream.write(`${message}\n`);
  }

  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}

/** 42s, 3m05s, 1h02m. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 2)}${units[u]}`;
}

const BUILD_PHASES: Record<BuildProgress['phase'], string> = {pack: 'Image pack', squashfs: 'Squashfs (mksquashfs)', hash: 'Hashing'};

/** Show a build's phases as lxc publish does ("Image pack: 54% … 180.20MB/s"). */
export function showBuild(progress: Progress): (p: BuildProgress) => void {
  let phase: BuildProgress['phase'] | undefined;
  return (p) => {
    if (p.phase !== phase) {
      phase = p.phase;
      progress.phase(BUILD_PHASES[p.phase]);
    }
    if (p.done > 0 || p.total !== undefined) progress.update(p.done, p.total);
  };
}
