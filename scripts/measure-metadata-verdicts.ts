// Re-measures test/fixtures/lxd-metadata-verdicts.json: every case in that file (the case list
// stays there, the single source) is built into an image, `lxc image import`ed into a throwaway
// LXD daemon, and LXD's verdict recorded: the image's fields when it accepts, its error when not.
//
//   node --import tsx scripts/measure-metadata-verdicts.ts [--write | OUT] [--from FILE] [--only NAME]…
//
// Without --write or OUT the result goes to stdout; a summary of what changed against the input
// goes to stderr. Needs root and LXD (apt-get install -y lxd).
//
// How a case becomes an image:
// - a metadata case with literal bytes (metadata_yaml / metadata_yaml_base64): the unified tarball
//   of test/helpers/lxd-verdicts.ts imageWithMetadata, the one the tests replay it in, plus
//   templates/hostname.tpl for the cases whose `tar` says their image had it;
// - a metadata case without bytes (the size cases, which would make the file tens of MiB): its
//   bytes are rebuilt here from its `generator` text, and checked against its metadata_yaml_bytes;
// - a tar case (the layout is the case): built here from its `tar` text, with the same hand-made
//   tar writer as the tests, or GNU tar / Python's tarfile where the text names them.
// A case with no rule here stops the script before any import, naming the case.
//
// What differs from run to run, by design: `origin` (date, versions), `import_seconds` (measured
// again), and the fingerprint quoted inside the errors of the cases whose dates LXD stores but
// cannot read back: it is the sha256 of the uploaded tarball, and the first measurement used GNU
// tar, whose headers (times, owner names) are not those of the tests' tar writer.
import {spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {fileURLToPath} from 'node:url';
import {parseArgs} from 'node:util';
import {gzipSync} from 'node:zlib';
import {imageWithMetadata, type Verdict, type VerdictCase} from '../test/helpers/lxd-verdicts.js';
import {tarOf, type TarEntry} from '../test/helpers/tar-bytes.js';
import {checkOutput, checkpoint, die, lxdVersions, requireLxd, say, today, withThrowawayLxd, writeOutput, type ThrowawayLxd} from './lxd-daemon.js';

const SCRIPT = 'measure-metadata-verdicts';
const COMMITTED = fileURLToPath(new URL('../test/fixtures/lxd-metadata-verdicts.json', import.meta.url));

/** A case as stored: the fields the tests read, and the descriptive ones kept as they are. */
type StoredCase = VerdictCase & {tar?: string; generator?: string; metadata_yaml_bytes?: number; import_seconds?: number; [k: string]: unknown};
interface Fixture {
  origin: string;
  cases: StoredCase[];
}

/** The files of one `lxc image import` (two for a split image). */
type Files = Buffer[];

// A fast-failing import sometimes leaves the lxc 5.0.2 client hanging for good (see
// test/helpers/lxd.ts importImage). Imports here take under half a second, even the 32 MiB case,
// so a client still running after 8 s is taken to be hung.
const IMPORT_TIMEOUT_MS = 8_000;
const IMPORT_ATTEMPTS = 4;

const HEAD = 'architecture: x86_64\ncreation_date: 1700000000\nproperties:\n  os: tinyos\n';
const TEMPLATE: [string, string] = ['templates/hostname.tpl', '{{ container.name }}\n'];

/** The rootfs entries of imageWithMetadata, for layouts built around them. */
const ROOT: TarEntry[] = [{name: 'rootfs/'}, {name: 'rootfs/etc/'}, {name: 'rootfs/etc/hostname', data: 'tiny\n'}];

/** The generated metadata cases, by name: their `generator` text, as code. */
function generated(baseline: string): Record<string, () => Buffer> {
  const text = (s: string) => () => Buffer.from(s);
  return {
    'document-2mib-comment': text(`${baseline}#${'x'.repeat(2097152)}\n`),
    'document-2mib-property-value': text(`${HEAD}  big: ${'y'.repeat(2097152)}\n`),
    'document-32mib-comment': text(`${baseline}#${'x'.repeat(33554432)}\n`),
    'document-size-exactly-1mib': text(`${HEAD}#${'x'.repeat(1048576 - 72 - 2)}\n`),
    'document-size-1mib-plus-1': text(`${HEAD}#${'x'.repeat(1048576 - 72 - 1)}\n`),
    'document-second-doc-pushes-over-1mib': text(`${baseline}---\n#${'x'.repeat(1048577 - Buffer.byteLength(baseline) - 4 - 2)}\n`),
    'document-size-1mib-with-bom': text(`\ufeff${HEAD}#${'x'.repeat(1048576 - 72 - 2 - 3)}\n`),
    'document-size-first-doc-boundary-ok': text(`${HEAD}#${'x'.repeat(1048498)}\n---\n#${'z'.repeat(2097152)}\n`),
    'document-size-first-doc-boundary-refused': text(`${HEAD}#${'x'.repeat(1048499)}\n---\n#${'z'.repeat(2097152)}\n`),
  };
}

/** The tar cases, by name: their `tar` text, as code. `meta` is the baseline-valid document. */
function layouts(meta: string, work: string): Record<string, () => Files> {
  const m = (data: string = meta, name = 'metadata.yaml'): TarEntry => ({name, data});
  const foo = meta.replace(/^architecture: .*$/m, 'architecture: foo');
  const one = (entries: TarEntry[]) => (): Files => [tarOf(entries)];
  // The tree GNU tar and Python's tarfile are pointed at.
  const tree = (): string => {
    const t = join(work, 'tree');
    rmSync(t, {recursive: true, force: true});
    mkdirSync(join(t, 'rootfs/etc'), {recursive: true});
    writeFileSync(join(t, 'metadata.yaml'), meta);
    writeFileSync(join(t, 'rootfs/etc/hostname'), 'tiny\n');
    return t;
  };
  const tool = (cmd: string, args: string[], input?: Buffer): Buffer => {
    const r = spawnSync(cmd, args, {input, maxBuffer: 1 << 26});
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr?.toString() || r.error?.message || '').trim()}`);
    return r.stdout;
  };
  const gnuTar =
    (...args: string[]) =>
    (): Files => [tool('tar', ['-C', tree(), '-cf', '-', ...args])];
  const unified = tarOf([m(), ...ROOT]);
  return {
    'tar-standard-python-tarfile': () => {
      const py = [
        'import io, sys, tarfile',
        'out = io.BytesIO()',
        'with tarfile.open(fileobj=out, mode="w", format=tarfile.GNU_FORMAT) as t:',
        '    for n in ["metadata.yaml", "rootfs", "rootfs/etc", "rootfs/etc/hostname"]:',
        '        t.add(sys.argv[1] + "/" + n, arcname=n, recursive=False)',
        'sys.stdout.buffer.write(out.getvalue())',
      ].join('\n');
      return [tool('python3', ['-c', py, tree()])];
    },
    'tar-metadata-only': one([m()]),
    'tar-dot-slash-names': one([m(meta, './metadata.yaml'), {name: './rootfs/'}, {name: './rootfs/etc/'}, {name: './rootfs/etc/hostname', data: 'tiny\n'}]),
    'tar-dot-slash-with-dot-dir': one([
      {name: './'},
      m(meta, './metadata.yaml'),
      {name: './rootfs/'},
      {name: './rootfs/etc/'},
      {name: './rootfs/etc/hostname', data: 'tiny\n'},
    ]),
    'tar-vm-rootfs-img': one([m(), {name: 'rootfs.img', data: Buffer.alloc(4096)}]),
    'tar-vm-dot-slash-rootfs-img': one([m(meta, './metadata.yaml'), {name: './rootfs.img', data: Buffer.alloc(4096)}]),
    'tar-metadata-after-rootfs': one([...ROOT, m()]),
    'tar-rootfs-and-rootfs-img': one([m(), ...ROOT, {name: 'rootfs.img', data: Buffer.alloc(4096)}]),
    'tar-rootfs-img-then-rootfs': one([m(), {name: 'rootfs.img', data: Buffer.alloc(4096)}, ...ROOT]),
    'tar-metadata-yaml-is-directory': one([{name: 'metadata.yaml/'}, m(meta, 'metadata.yaml/x'), ...ROOT]),
    'tar-metadata-yaml-is-empty-directory': one([{name: 'metadata.yaml/'}, ...ROOT]),
    'tar-empty-file': () => [Buffer.alloc(0)],
    // What Python's tarfile writes for an archive with no members: one 10240-byte record of zeros.
    'tar-empty-archive': () => [Buffer.alloc(10240)],
    'tar-metadata-symlink': one([m(meta, 'meta.real'), {name: 'metadata.yaml', type: '2', link: 'meta.real'}, ...ROOT]),
    'tar-metadata-symlink-first': one([{name: 'metadata.yaml', type: '2', link: 'meta.real'}, m(meta, 'meta.real'), ...ROOT]),
    'tar-metadata-twice-valid-then-invalid': one([m(), m(foo), ...ROOT]),
    'tar-metadata-twice-invalid-then-valid': one([m(foo), m(), ...ROOT]),
    'tar-metadata-in-subdir': one([m(meta, 'foo/metadata.yaml'), ...ROOT]),
    'tar-no-metadata': one(ROOT),
    'tar-rootfs-empty-dir': one([m(), {name: 'rootfs/'}]),
    'tar-rootfs-file-only-no-dir-entry': one([m(), {name: 'rootfs/etc/hostname', data: 'tiny\n'}]),
    'tar-rootfs-as-regular-file': one([m(), {name: 'rootfs', data: 'tiny\n'}]),
    'tar-rootfs-dir-without-slash': one([m(), {name: 'rootfs', type: '5'}, {name: 'rootfs/etc/hostname', data: 'tiny\n'}]),
    'tar-absolute-names': one([m(meta, '/metadata.yaml'), {name: '/rootfs/'}, {name: '/rootfs/etc/'}, {name: '/rootfs/etc/hostname', data: 'tiny\n'}]),
    'tar-uppercase-metadata': one([m(meta, 'METADATA.YAML'), ...ROOT]),
    'tar-metadata-yml-extension': one([m(meta, 'metadata.yml'), ...ROOT]),
    'tar-gzip-unified': () => [gzipSync(unified)],
    'tar-xz-unified': () => [tool('xz', ['-c'], unified)],
    'tar-gnu-tar-dot': gnuTar('.'),
    'tar-pax-format': gnuTar('--format=pax', 'metadata.yaml', 'rootfs'),
    'tar-not-a-tar': () => [Buffer.from(meta)],
    'tar-split-metadata-plus-rootfs-tar': () => [tarOf([m()]), tarOf([{name: 'etc/hostname', data: 'tiny\n'}])],
    'tar-metadata-twice-partial-second': one([m(), m('architecture: aarch64\n'), ...ROOT]),
    'tar-metadata-after-rootfs-twice': one([...ROOT, m(), m(foo)]),
    'tar-metadata-invalid-rootfs-then-valid': one([m(foo), ...ROOT, m()]),
    'tar-metadata-hardlink': one([m(meta, 'meta.real'), {name: 'metadata.yaml', type: '1', link: 'meta.real'}, ...ROOT]),
    'tar-metadata-zero-length-file': one([m(''), ...ROOT]),
    'tar-metadata-dot-dot-slash': one([m(meta, '../metadata.yaml'), ...ROOT]),
    'tar-metadata-double-dot-slash': one([m(meta, '././metadata.yaml'), ...ROOT]),
    'tar-rootfs-img-as-directory': one([m(), {name: 'rootfs.img/'}]),
    'tar-trailing-garbage-after-archive': () => [Buffer.concat([unified, Buffer.alloc(100, 0x41)])],
  };
}

/** How to build every case's files; fails, naming them, for cases there is no rule for. */
function builders(fixture: Fixture, work: string): Map<string, () => Files> {
  const baseline = fixture.cases.find((c) => c.name === 'baseline-valid')?.metadata_yaml;
  if (baseline === undefined) throw new Error('the input has no baseline-valid case with metadata_yaml: the tar and size cases are built around it');
  const gen = generated(baseline);
  const tar = layouts(baseline, work);
  const out = new Map<string, () => Files>();
  const missing: string[] = [];
  for (const c of fixture.cases) {
    if (out.has(c.name)) throw new Error(`case ${c.name} appears twice`);
    if (c.kind === 'tar') {
      if (tar[c.name]) out.set(c.name, tar[c.name]!);
      else missing.push(c.name);
      continue;
    }
    const literal =
      c.metadata_yaml !== undefined
        ? Buffer.from(c.metadata_yaml)
        : c.metadata_yaml_base64 !== undefined
          ? Buffer.from(c.metadata_yaml_base64, 'base64')
          : undefined;
    const make = literal ? () => literal : gen[c.name];
    if (!make) {
      missing.push(c.name);
      continue;
    }
    if (!literal && c.metadata_yaml_bytes !== undefined && make().length !== c.metadata_yaml_bytes) {
      throw new Error(`case ${c.name}: the rule here makes ${make().length} bytes, its metadata_yaml_bytes says ${c.metadata_yaml_bytes}`);
    }
    const templates = c.tar?.includes('templates/hostname.tpl') ?? false;
    out.set(c.name, () => {
      const meta = make();
      return [templates ? unifiedWithTemplate(meta) : imageWithMetadata(meta)];
    });
  }
  if (missing.length > 0) throw new Error(`no rule to build ${missing.length} case(s): ${missing.join(', ')}`);
  return out;
}

/** imageWithMetadata's layout with templates/hostname.tpl after the rootfs, as those cases' `tar` says. */
function unifiedWithTemplate(meta: Buffer): Buffer {
  return tarOf([{name: 'metadata.yaml', data: meta}, ...ROOT, {name: TEMPLATE[0], data: TEMPLATE[1]}]);
}

/** Import `paths`; LXD's verdict, and how long the successful attempt took. */
function measure(lxd: ThrowawayLxd, paths: string[], files: Files, onHang: () => void): {verdict: Verdict; seconds: number; fingerprint?: string} {
  // The fingerprint LXD will give an accepted image: sha256 of the file(s) as uploaded.
  const expected = createHash('sha256');
  for (const f of files) expected.update(f);
  const want = expected.digest('hex');
  for (let attempt = 1; ; attempt++) {
    const t0 = performance.now();
    const r = spawnSync('lxc', ['image', 'import', ...paths], {env: lxd.env, encoding: 'utf8', timeout: IMPORT_TIMEOUT_MS});
    const seconds = (performance.now() - t0) / 1000;
    if (r.error) {
      onHang();
      // The client hung. The daemon's operation is over by then: if it stored the image, that is the verdict.
      const q = lxd.lxc(['query', `/1.0/images/${want}`]);
      if (q.code === 0) return {verdict: accepted(JSON.parse(q.stdout) as Record<string, unknown>), seconds, fingerprint: want};
      if (attempt < IMPORT_ATTEMPTS) continue;
      throw new Error(`lxc image import hung ${IMPORT_ATTEMPTS} times`);
    }
    const fp = /\b[0-9a-f]{64}\b/.exec(r.stdout)?.[0];
    if (r.status === 0 && fp) {
      if (fp !== want) throw new Error(`LXD gave fingerprint ${fp}, the sha256 of the upload is ${want}`);
      const q = lxd.lxc(['query', `/1.0/images/${fp}`]);
      if (q.code !== 0) throw new Error(`lxc query /1.0/images/${fp}: ${q.stderr.trim()}`);
      return {verdict: accepted(JSON.parse(q.stdout) as Record<string, unknown>), seconds, fingerprint: fp};
    }
    // Only lxc's "Error: " and the final newline go: LXD's own text may end in a space that
    // matters ("Architecture isn't supported: x86_64 ").
    const error = r.stderr.replace(/^Error: /, '').replace(/\n+$/, '');
    if (r.status === 0 || error === '')
      throw new Error(`lxc image import exited ${r.status} without a fingerprint or an error: ${JSON.stringify(r.stdout + r.stderr)}`);
    return {verdict: {accepted: false, error}, seconds};
  }
}

function accepted(image: Record<string, unknown>): Verdict {
  return {
    accepted: true,
    architecture: image.architecture as string,
    created_at: image.created_at as string,
    expires_at: image.expires_at as string,
    properties: image.properties as Record<string, string>,
    type: image.type as string,
  };
}

/** The case with its new verdict, every other field where it was. */
function remeasured(c: StoredCase, verdict: Verdict, seconds: number): StoredCase {
  const out: StoredCase = {...c, lxd: verdict};
  if (c.import_seconds !== undefined) out.import_seconds = Math.round(seconds * 1000) / 1000;
  return out;
}

const FINGERPRINT = /\b[0-9a-f]{64}\b/g;

/** One line per case whose verdict changed; fingerprint-only changes counted apart (see the header). */
function summarise(before: Fixture, after: StoredCase[]): string[] {
  const old = new Map(before.cases.map((c) => [c.name, c.lxd]));
  const lines: string[] = [];
  let same = 0;
  let fingerprintOnly = 0;
  for (const c of after) {
    const a = JSON.stringify(old.get(c.name));
    const b = JSON.stringify(c.lxd);
    if (a === b) same++;
    else if (a.replace(FINGERPRINT, '<fp>') === b.replace(FINGERPRINT, '<fp>')) fingerprintOnly++;
    else lines.push(`  ${c.name}: was ${a}, now ${b}`);
  }
  return [
    `${same} verdicts identical, ${fingerprintOnly} differ only in the fingerprint quoted in the error, ${lines.length} changed${lines.length ? ':' : ''}`,
    ...lines,
  ];
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        write: {type: 'boolean', default: false},
        from: {type: 'string'},
        only: {type: 'string', multiple: true},
        help: {type: 'boolean', short: 'h', default: false},
      },
      allowPositionals: true,
    });
  } catch (err) {
    die(SCRIPT, (err as Error).message);
  }
  if (args.values.help) {
    process.stdout.write(
      'usage: node --import tsx scripts/measure-metadata-verdicts.ts [--write | OUT] [--from FILE] [--only NAME]...   (stdout without --write or OUT)\n',
    );
    return;
  }
  if (args.positionals.length > 1) die(SCRIPT, 'at most one output path');
  const output = {write: args.values.write, out: args.positionals[0]};
  checkOutput(SCRIPT, output, COMMITTED);
  const only = args.values.only;
  if (only && args.values.write) die(SCRIPT, '--only measures a subset: write it to a path, not over the fixture');
  requireLxd(SCRIPT);

  const from = args.values.from ?? COMMITTED;
  let fixture: Fixture;
  try {
    fixture = JSON.parse(readFileSync(from, 'utf8')) as Fixture;
    if (!Array.isArray(fixture.cases)) throw new Error('no "cases" array');
  } catch (err) {
    die(SCRIPT, `cannot read the cases from ${from}: ${(err as Error).message}`);
  }
  const cases = only ? fixture.cases.filter((c) => only.includes(c.name)) : fixture.cases;
  const unknown = (only ?? []).filter((n) => !fixture.cases.some((c) => c.name === n));
  if (unknown.length > 0) die(SCRIPT, `no such case: ${unknown.join(', ')}`);

  const started = Date.now();
  const versions = lxdVersions();
  let measured: StoredCase[];
  try {
    measured = await withThrowawayLxd(SCRIPT, async (lxd) => {
      const work = join(lxd.dir, 'cases');
      mkdirSync(work);
      // Every rule is checked before the first import, so a missing one costs no daemon time.
      const build = builders({...fixture, cases}, work);
      const out: StoredCase[] = [];
      let hangs = 0;
      for (const [i, c] of cases.entries()) {
        await checkpoint();
        let files: Files;
        try {
          files = build.get(c.name)!();
        } catch (err) {
          throw new Error(`case ${c.name}: building it failed: ${(err as Error).message}`);
        }
        const paths = files.map((f, n) => {
          const p = join(work, `${i}-${n}`);
          writeFileSync(p, f);
          return p;
        });
        let result;
        try {
          result = measure(lxd, paths, files, () => {
            hangs++;
            say(SCRIPT, `case ${c.name}: lxc image import hung (the lxc 5.0.2 client race); checking the daemon, then retrying`);
          });
        } catch (err) {
          throw new Error(`case ${c.name}: ${(err as Error).message}`);
        }
        // Some refusals (dates LXD stores but cannot read back) leave a row that cannot be
        // deleted; nothing is listed for them, so only accepted images are deleted.
        if (result.fingerprint) {
          const d = lxd.lxc(['image', 'delete', result.fingerprint]);
          if (d.code !== 0) say(SCRIPT, `case ${c.name}: could not delete ${result.fingerprint}: ${d.stderr.trim()}`);
        }
        for (const p of paths) rmSync(p);
        out.push(remeasured(c, result.verdict, result.seconds));
        if ((i + 1) % 50 === 0) say(SCRIPT, `${i + 1}/${cases.length} cases`);
      }
      if (hangs > 0) say(SCRIPT, `the lxc client hung ${hangs} time(s); ${IMPORT_TIMEOUT_MS / 1000} s lost each`);
      return out;
    });
  } catch (err) {
    // Reported only now, after withThrowawayLxd has stopped the daemon.
    die(SCRIPT, (err as Error).message);
  }

  const origin = `measured with LXD ${versions.lxd} (Debian ${versions.debian}) on ${today()}, via \`lxc image import\` into a fresh throwaway daemon (no storage pool); accepted values come from GET /1.0/images/<fingerprint>`;
  writeOutput(SCRIPT, JSON.stringify({...fixture, origin, cases: measured}, null, 2) + '\n', output, COMMITTED);
  for (const line of summarise(fixture, measured)) say(SCRIPT, line);
  say(SCRIPT, `${measured.length} cases in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

await main();
