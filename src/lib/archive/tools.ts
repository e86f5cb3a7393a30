/**
 * Running the system tools img calls (xz, zstd, bzip2, mksquashfs, unsquashfs): to completion, or
 * as a filter stream; a missing tool is one clear error naming the package that provides it.
 */
import {spawn, type ChildProcessWithoutNullStreams} from 'node:child_process';
import {Duplex} from 'node:stream';
import {finished} from 'node:stream/promises';
import {UserError} from '../errors.js';
import {CHUNK_SIZE} from '../io/chunks.js';

/** Which Debian package provides a tool img runs, for the "not installed" message. */
const PACKAGES: Record<string, string> = {
  zstd: 'zstd',
  bzip2: 'bzip2',
  xz: 'xz-utils',
  mksquashfs: 'squashfs-tools',
  unsquashfs: 'squashfs-tools',
};

export function missingToolError(cmd: string, cause?: unknown): UserError {
  const pkg = PACKAGES[cmd];
  return new UserError(`${cmd} is not installed${pkg ? ` (apt-get install ${pkg})` : ''}`, {code: 'ToolMissing', cause});
}

/**
 * A filter process (zstd, bzip2 …) as a Duplex: bytes written go to its stdin, its stdout is
 * readable. A non-zero exit becomes an error carrying the tool's first line of stderr, which says
 * more than the EPIPE our side would otherwise see.
 */
export class ProcessDuplex extends Duplex {
  private readonly child: ChildProcessWithoutNullStreams;
  private stderr = '';
  private finished = false;

  constructor(
    private readonly cmd: string,
    args: string[],
    private readonly label = cmd,
  ) {
    super({readableHighWaterMark: CHUNK_SIZE, writableHighWaterMark: CHUNK_SIZE});
    this.child = spawn(cmd, args, {stdio: ['pipe', 'pipe', 'pipe']});
    this.child.on('error', (err: NodeJS.ErrnoException) => {
      this.destroy(err.code === 'ENOENT' ? missingToolError(cmd, err) : err);
    });
    this.child.stdin.on('error', () => {
      // EPIPE when the tool exits early; its exit status and stderr explain why.
    });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (s: string) => {
      if (this.stderr.length < 4096) this.stderr += s;
    });
    this.child.stdout.on('data', (chunk: Buffer) => {
      // After destroy, push() keeps returning false: pausing then would hold the pipe open forever.
      if (this.destroyed) return;
      if (!this.push(chunk)) this.child.stdout.pause();
    });
    this.child.on('close', (code, signal) => {
      this.finished = true;
      if (this.destroyed) return;
      if (code === 0) {
        this.push(null);
        return;
      }
      const first = this.stderr
        .split('\n')
        .find((l) => l.trim() !== '')
        ?.trim();
      // "xz: (stdin): …", "zstd: /*stdin*\: …": the tool's name and its name for stdin say nothing.
      const why = first ? first.replace(/^[^:]*: (\(stdin\)\s*:\s*|\/\*stdin\*\\\s*:\s*)?/, '') : signal ? `killed by ${signal}` : `exit status ${code}`;
      this.destroy(new Error(`${this.label}: ${why}`));
    });
  }

  override _read(): void {
    this.child.stdout.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    // Done once the pipe has taken all of it, so a writer may reuse the chunk after the callback.
    // A failed write (EPIPE) is not the reason: the tool's exit status and stderr are, on 'close'.
    this.child.stdin.write(chunk, () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.child.stdin.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (!this.finished) this.child.kill('SIGKILL');
    // Our ends of the pipes go too, so that nothing stays open for output nobody will read.
    this.child.stdin.destroy();
    this.child.stdout.destroy();
    this.child.stderr.destroy();
    cb(err);
  }
}

/** Run a tool to completion; a failure carries its last line of output. */
export function run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {stdio: ['ignore', 'pipe', 'pipe'], ...(env ? {env} : {})});
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString('utf8')).slice(-8192);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err: NodeJS.ErrnoException) => reject(err.code === 'ENOENT' ? missingToolError(cmd, err) : err));
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(output);
      const last = output.trim().split('\n').pop() ?? '';
      const status = signal ? `killed by ${signal}` : `exit status ${code}`;
      reject(new UserError(`${cmd} failed${last ? `: ${last}` : ` (${status})`}`, {code: 'ToolFailed'}));
    });
  });
}

/** Run a tool on `input` and collect its standard output; it fails as a ProcessDuplex does. */
export async function filter(cmd: string, args: string[], input: Uint8Array): Promise<Buffer[]> {
  const tool = new ProcessDuplex(cmd, args);
  const out: Buffer[] = [];
  tool.on('data', (d: Buffer) => out.push(d));
  tool.end(input);
  await finished(tool);
  return out;
}
