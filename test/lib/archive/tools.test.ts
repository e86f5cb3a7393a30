// src/lib/archive/tools.ts: system tools as filter streams and as one-shot commands. A failing
// tool must say why in its own words (not EPIPE), a missing one must name its package, and a
// stream torn down early must not leave its process behind.
import assert from 'node:assert/strict';
import {spawnSync, type ChildProcess} from 'node:child_process';
import {once} from 'node:events';
import {Readable, Writable} from 'node:stream';
import {pipeline} from 'node:stream/promises';
import {describe, test} from 'node:test';
import {missingToolError, ProcessDuplex, run} from '../../../src/lib/archive/tools.js';
import {UserError} from '../../../src/lib/errors.js';
import {seededBytes} from '../../helpers/bytes.js';
import {watchRejections} from '../../helpers/rejections.js';

const MiB = 1 << 20;

/**
 * Write `input` in pieces, waiting for 'drain' whenever write() says so, while reading the output.
 * Resolves with the output and how often write() asked to wait; rejects with the stream's error.
 */
function drive(d: ProcessDuplex, input: Buffer, piece = 64 * 1024): Promise<{output: Buffer; waits: number}> {
  return new Promise((resolve, reject) => {
    const out: Buffer[] = [];
    let waits = 0;
    d.on('data', (c: Buffer) => out.push(c));
    d.on('end', () => resolve({output: Buffer.concat(out), waits}));
    d.on('error', reject);
    (async () => {
      for (let i = 0; i < input.length; i += piece) {
        if (!d.write(input.subarray(i, i + piece))) {
          waits++;
          await once(d, 'drain');
        }
      }
      d.end();
    })().catch(reject);
  });
}

/** The error `d` fails with when fed `input`. */
async function failure(d: ProcessDuplex, input: Buffer): Promise<Error> {
  try {
    await drive(d, input);
  } catch (err) {
    assert.ok(err instanceof Error, String(err));
    return err;
  }
  assert.fail('the stream ended without an error');
}

/** The first non-empty stderr line of `cmd args` run on `input`. */
function firstStderrLine(cmd: string, args: string[], input: Buffer): string {
  const r = spawnSync(cmd, args, {input, encoding: 'utf8'});
  assert.notEqual(r.status, 0, `${cmd} fails on this input`);
  const line = r.stderr.split('\n').find((l) => l.trim() !== '');
  assert.ok(line, `${cmd} says something on stderr`);
  return line.trim();
}

/** Run `fn` with PATH pointing nowhere, so that every tool is missing. */
function withoutPath<T>(fn: () => T): T {
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    return fn();
  } finally {
    process.env.PATH = path;
  }
}

/** The child process behind a ProcessDuplex (a private field: only the pid is needed). */
const childOf = (d: ProcessDuplex): ChildProcess => (d as unknown as {child: ChildProcess}).child;

const isGone = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
};

const compress = (argv: string[], data: Buffer): Buffer => {
  const r = spawnSync(argv[0]!, argv.slice(1), {input: data, maxBuffer: 64 * MiB});
  assert.equal(r.status, 0);
  return r.stdout;
};

/** Compressible text-like bytes, so the compressors' output is small and the decoders do work. */
const TEXT = (() => {
  const b = seededBytes(2 * MiB, 5);
  for (let i = 0; i < b.length; i++) b[i] = 0x61 + (b[i]! % 8);
  return b;
})();

describe('ProcessDuplex', () => {
  test('over cat, several MiB round-trip byte for byte, with back-pressure on the writes', async () => {
    const input = seededBytes(8 * MiB, 1);
    const {output, waits} = await drive(new ProcessDuplex('cat', []), input);
    assert.ok(output.equals(input), 'the same bytes');
    assert.ok(waits > 0, 'write() asked the writer to wait at least once');
  });

  test("over cat, a slow reader loses nothing, and the tool's output waits for it rather than piling up", async () => {
    const input = seededBytes(6 * MiB, 2);
    const out: Buffer[] = [];
    const d = new ProcessDuplex('cat', []);
    let buffered = 0;
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(chunk: Buffer, _enc, cb) {
        out.push(chunk);
        buffered = Math.max(buffered, d.readableLength);
        setImmediate(cb);
      },
    });
    const pieces = function* () {
      for (let i = 0; i < input.length; i += 100_000) yield input.subarray(i, i + 100_000);
    };
    await pipeline(Readable.from(pieces()), d, slow);
    assert.ok(Buffer.concat(out).equals(input), 'the same bytes');
    // Paused at the high-water mark (CHUNK_SIZE), give or take a pipe's worth: not the whole input.
    assert.ok(buffered < 2 * MiB, `at most ${buffered} bytes waited in the stream`);
  });

  test('zstd -d decodes what zstd wrote', async () => {
    const args = ['-d', '-c', '-q', '--no-progress'];
    const {output} = await drive(new ProcessDuplex('zstd', args), compress(['zstd', '-c', '-q'], TEXT));
    assert.ok(output.equals(TEXT), 'the same bytes');
  });

  const corrupt: Array<[string, string[], Buffer]> = [
    ['zstd', ['-d', '-c', '-q', '--no-progress'], Buffer.concat([Buffer.from([0x28, 0xb5, 0x2f, 0xfd]), Buffer.alloc(4096, 0x41)])],
    ['zstd', ['-d', '-c', '-q', '--no-progress'], compress(['zstd', '-c', '-q'], TEXT).subarray(0, 3000)],
    ['bzip2', ['-d', '-c', '-q'], Buffer.concat([Buffer.from('BZh9'), Buffer.alloc(4096, 0x41)])],
    // Without -q: with it bzip2 says nothing about a truncated stream (see the exit-status test).
    ['bzip2', ['-d', '-c'], compress(['bzip2', '-c'], TEXT).subarray(0, 3000)],
    ['xz', ['-d', '-c', '-q'], Buffer.from('not xz at all')],
  ];
  corrupt.forEach(([cmd, args, input], i) => {
    test(`${cmd} -d on corrupt input (${i}): the tool's first stderr line, after the label`, async () => {
      const label = `image-${i}.tar`;
      const err = await failure(new ProcessDuplex(cmd, args, label), input);
      const line = firstStderrLine(cmd, args, input);
      assert.ok(err.message.startsWith(`${label}: `), err.message);
      const why = err.message.slice(label.length + 2);
      assert.match(why, /[a-z]{3}/i, 'a reason in words');
      // The tool's own line, less the program name and "(stdin):" it starts with.
      assert.ok(line.endsWith(why), `${JSON.stringify(line)} ends with ${JSON.stringify(why)}`);
      assert.doesNotMatch(err.message, /EPIPE|write after end/);
    });
  });

  test('the label defaults to the command', async () => {
    const err = await failure(new ProcessDuplex('sh', ['-c', 'echo "sh: (stdin): bad magic" >&2; exit 1']), Buffer.from('x'));
    assert.equal(err.message, 'sh: bad magic');
  });

  test('a tool that exits non-zero without stderr: "exit status N"', async () => {
    const err = await failure(new ProcessDuplex('sh', ['-c', 'cat >/dev/null; exit 3'], 'tool'), Buffer.from('input'));
    assert.equal(err.message, 'tool: exit status 3');
  });

  test('a tool killed by a signal says so', async () => {
    const err = await failure(new ProcessDuplex('sh', ['-c', 'kill -TERM $$'], 'tool'), Buffer.from('input'));
    assert.equal(err.message, 'tool: killed by SIGTERM');
  });

  test('a tool that fails while MiB are still being written: its reason, not EPIPE', async () => {
    const err = await failure(new ProcessDuplex('sh', ['-c', 'head -c 10 >/dev/null; echo "input is bad" >&2; exit 1'], 'tool'), seededBytes(8 * MiB, 3));
    assert.equal(err.message, 'tool: input is bad');
  });

  test('a missing command: a ToolMissing UserError', async () => {
    const err = await failure(new ProcessDuplex('img-test-no-such-tool', []), Buffer.from('x'));
    assert.ok(err instanceof UserError, String(err));
    assert.equal(err.code, 'ToolMissing');
    assert.equal(err.message, 'img-test-no-such-tool is not installed');
    assert.equal((err.cause as NodeJS.ErrnoException).code, 'ENOENT');
  });

  test('a missing known tool names its Debian package', async () => {
    for (const [cmd, pkg] of [
      ['zstd', 'zstd'],
      ['bzip2', 'bzip2'],
      ['xz', 'xz-utils'],
    ] as const) {
      const d = withoutPath(() => new ProcessDuplex(cmd, ['-d']));
      const err = await failure(d, Buffer.from('x'));
      assert.ok(err instanceof UserError, String(err));
      assert.equal(err.code, 'ToolMissing');
      assert.equal(err.message, `${cmd} is not installed (apt-get install ${pkg})`);
    }
  });

  test('destroyed early, it kills its child, which is then gone (reaped, no zombie)', {timeout: 5000}, async (t) => {
    const rejections = watchRejections(t);
    const d = new ProcessDuplex('cat', []);
    const errors: Error[] = [];
    d.on('error', (e: Error) => errors.push(e));
    d.write(seededBytes(4 * MiB, 4));
    await once(d, 'data');
    const child = childOf(d);
    // Should the kill not happen, the test fails rather than leave cat holding the run open.
    t.after(() => child.kill('SIGKILL'));
    const pid = child.pid;
    assert.ok(pid !== undefined && !isGone(pid), 'the child runs');
    const exited = once(child, 'exit');
    d.destroy();
    const [code, signal] = await exited;
    assert.deepEqual([code, signal], [null, 'SIGKILL']);
    assert.ok(isGone(pid), `process ${pid} is gone`);
    await rejections.assertNone();
    assert.deepEqual(errors, [], 'the kill is not reported as the tool failing');
    assert.equal(d.destroyed, true);
  });

  test(
    'destroyed early, it closes the pipes to its child',
    {
      timeout: 5000,
    },
    async (t) => {
      const d = new ProcessDuplex('cat', []);
      d.on('error', () => undefined);
      d.write(seededBytes(4 * MiB, 6));
      await once(d, 'data');
      const child = childOf(d);
      t.after(() => {
        child.kill('SIGKILL');
        child.stdout?.destroy();
      });
      const closed = once(child, 'close').then(() => true);
      d.destroy();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), 300)));
      const inTime = await Promise.race([closed, timeout]);
      clearTimeout(timer);
      assert.equal(inTime, true, "the child's stdio is closed soon after the kill");
      assert.equal(child.stdout?.destroyed, true);
    },
  );

  test('destroyed with an error, that error is the one reported', {timeout: 5000}, async (t) => {
    const d = new ProcessDuplex('cat', []);
    t.after(() => childOf(d).kill('SIGKILL'));
    const failed = once(d, 'error');
    d.write(Buffer.from('x'));
    d.destroy(new Error('the caller gave up'));
    const [err] = await failed;
    assert.equal((err as Error).message, 'the caller gave up');
  });
});

describe('run', () => {
  test('resolves with what the tool printed', async () => {
    assert.equal(await run('sh', ['-c', 'printf "one\\ntwo\\n"']), 'one\ntwo\n');
  });

  test('stderr is part of the output', async () => {
    const out = await run('sh', ['-c', 'echo to-stdout; echo to-stderr >&2']);
    assert.match(out, /to-stdout/);
    assert.match(out, /to-stderr/);
  });

  test('a failure is a ToolFailed UserError carrying the last line of output', async () => {
    await assert.rejects(run('sh', ['-c', 'echo first >&2; echo "mksquashfs: the last line" >&2; exit 4']), (err: unknown) => {
      assert.ok(err instanceof UserError, String(err));
      assert.equal(err.code, 'ToolFailed');
      assert.equal(err.exit, 1);
      assert.equal(err.message, 'sh failed: mksquashfs: the last line');
      return true;
    });
  });

  test('the last line survives long output', async () => {
    await assert.rejects(run('sh', ['-c', 'yes filler | head -n 5000; echo "the reason"; exit 1']), {code: 'ToolFailed', message: 'sh failed: the reason'});
  });

  test('a failure without output gives the exit status', async () => {
    await assert.rejects(run('sh', ['-c', 'exit 4']), {code: 'ToolFailed', message: 'sh failed (exit status 4)'});
  });

  test('a tool killed by a signal names the signal', async () => {
    await assert.rejects(run('sh', ['-c', 'kill -KILL $$']), (err: unknown) => {
      assert.ok(err instanceof UserError, String(err));
      assert.equal(err.code, 'ToolFailed');
      assert.match(err.message, /SIGKILL/);
      return true;
    });
  });

  test('a missing tool is ToolMissing, with the package for a known one', async () => {
    await assert.rejects(run('img-test-no-such-tool', []), {code: 'ToolMissing', message: 'img-test-no-such-tool is not installed'});
    await assert.rejects(
      withoutPath(() => run('unsquashfs', ['-version'])),
      {code: 'ToolMissing', message: 'unsquashfs is not installed (apt-get install squashfs-tools)'},
    );
  });
});

describe('missingToolError', () => {
  test('names the Debian package of each tool img runs', () => {
    for (const [cmd, pkg] of [
      ['zstd', 'zstd'],
      ['bzip2', 'bzip2'],
      ['xz', 'xz-utils'],
      ['mksquashfs', 'squashfs-tools'],
      ['unsquashfs', 'squashfs-tools'],
    ]) {
      const err = missingToolError(cmd!);
      assert.ok(err instanceof UserError, String(err));
      assert.equal(err.code, 'ToolMissing');
      assert.equal(err.message, `${cmd} is not installed (apt-get install ${pkg})`);
    }
  });

  test('an unknown tool: no package, and the cause is kept', () => {
    const cause = new Error('spawn foo ENOENT');
    const err = missingToolError('foo', cause);
    assert.equal(err.message, 'foo is not installed');
    assert.equal(err.cause, cause);
    assert.equal(missingToolError('foo').cause, undefined);
  });
});
