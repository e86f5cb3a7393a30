import {execFileSync} from 'node:child_process';

/** xz-compress bytes with the system xz (an independent writer). */
export function xzSync(data: Buffer): Buffer {
  return execFileSync('xz', ['-c', '-T1'], {input: data, maxBuffer: 256 << 20});
}
