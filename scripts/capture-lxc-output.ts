// Regenerates test/fixtures/lxc-captures.ts: imports the images of the captures into a throwaway
// LXD daemon, walks them through the states the captures need (aliases added and removed,
// descriptions, profiles and expiry edited), runs each capture's invocation there and writes the
// fixture in its committed shape.
//
//   node --import tsx scripts/capture-lxc-output.ts [--write | OUT]
//
// Without --write or OUT the fixture goes to stdout. Needs root and LXD (apt-get install -y lxd).
//
// Fingerprints and upload dates: the tests hold the first capture's values in their own image
// records (test/render/image.test.ts, test/render/table.test.ts) and compare img's rendering of
// those records with these texts. The first capture's image bytes were not kept, and an upload date
// is the moment of the import, so after importing, this script pins each image's fingerprint and
// upload date in the daemon's database (`lxd sql global`) to the first capture's. lxc then prints,
// sorts, and resolves prefixes against exactly the values the tests use, which rewriting the text
// afterwards could not do: rows sorted by fingerprint would come out in the wrong order, and the
// invocations themselves name images by those prefixes (`lxc image info 7025C236`,
// `lxc image alias create img2 ffb8`). The bytes built here are the same on every run (fixed file
// times, gzip -n, SOURCE_DATE_EPOCH for mksquashfs), so their own fingerprints are stable too.
import {spawnSync} from 'node:child_process';
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {parseArgs} from 'node:util';
import {fileURLToPath} from 'node:url';
import {checkOutput, checkpoint, die, lxdVersions, requireLxd, say, today, withThrowawayLxd, writeOutput, type ThrowawayLxd} from './lxd-daemon.js';

const SCRIPT = 'capture-lxc-output';
const COMMITTED = fileURLToPath(new URL('../test/fixtures/lxc-captures.ts', import.meta.url));

const ALPINE_DESC =
  'Alpine Linux 3.18 x86_64 with a deliberately very long description string to see how the table column wraps or truncates in lxc image list output';

interface ImageSpec {
  /** Files given to `lxc image import`, in order (two for a split image). */
  files: string[];
  properties: Record<string, string>;
  aliases: string[];
  public?: boolean;
  /** The first capture's values; see the header. */
  pin: {fingerprint: string; uploaded_at?: string};
}

// The four images of test/render/image.test.ts (fingerprints, upload dates, file names,
// properties, aliases, public flag, split/unified), plus the two the last captures add. For those
// two only the 12-character fingerprint is known (nothing prints more of it), so the rest of their
// pinned fingerprint is the real one's tail; their upload date is never printed and is not pinned.
const IMAGES: Record<string, ImageSpec> = {
  ubuntu: {
    files: ['a.tar'],
    properties: {description: 'Ubuntu jammy amd64 (test)', os: 'Ubuntu', release: 'jammy'},
    aliases: ['ubuntu', 'jammy', 'u22'],
    pin: {fingerprint: '723588a62a0f1809c80e4c2cb2b6ff8515eb34a9f4f91b4eceb2c83c56fcaea7', uploaded_at: '2026-11-24T08:27:04.743691501Z'},
  },
  alpine: {
    files: ['b.tar.xz'],
    properties: {description: ALPINE_DESC, os: 'Alpine', release: '3.18'},
    aliases: ['alpine'],
    public: true,
    pin: {fingerprint: '2be45f4023ad6574bd85d513ac5d7796b97c8090a21412f0127d7724d6ca3625', uploaded_at: '2026-11-24T08:27:04.81669538Z'},
  },
  fedora: {
    files: ['c.tar.gz'],
    properties: {os: 'Fedora', release: '39'},
    aliases: [],
    pin: {fingerprint: '7025c236b95d87a1abb56506a7e56e74076015edfdc7a1d9ad558beeafcca19a', uploaded_at: '2026-11-24T08:27:04.864574627Z'},
  },
  debian: {
    files: ['d-meta.tar.xz', 'd-rootfs.squashfs'],
    properties: {description: 'Debian bookworm split image', os: 'Debian', release: 'bookworm'},
    aliases: ['debian'],
    pin: {fingerprint: '63e49dba5cee9c96df89f682fd50a1db589c984685998461cdd0add8b26f602b', uploaded_at: '2026-11-24T08:27:04.906270699Z'},
  },
  f1: {files: ['e.tar.gz'], properties: {os: 'Five', release: '1'}, aliases: ['f1'], pin: {fingerprint: 'ffb809c4581a'}},
  g1: {files: ['f.tar.gz'], properties: {os: 'Six', release: '1'}, aliases: ['g1'], pin: {fingerprint: '6a223c260b0a'}},
};

// Every file inside the images carries this time, so the bytes (and the unpinned fingerprints)
// are the same on every run; it is also the images' creation_date (2023/11/14 22:13 UTC).
const EPOCH = 1700000000;

/** One capture: the key in the fixture and the shell command whose stdout it holds. */
interface Capture {
  key: string;
  run: string;
  /** Said after the command in the fixture's comment. */
  note?: string;
  /** The command pipes through `cat -A`: strip the `$` it puts at each line end. */
  catA?: boolean;
  /** An `lxc image info`: run it until the properties come out in key order (see info()). */
  info?: boolean;
}

type Step = Capture | {setup: string; act: (s: Session) => void};

const cap = (key: string, run: string): Capture => ({key, run});
const catA = (key: string, run: string): Capture => ({key, run: `${run} | cat -A`, note: 'the $ line ends removed', catA: true});
// lxc 5.0.2's `image info` prints the properties by ranging over a Go map, so their order changes
// from call to call (measured: 60 calls on one 3-property image gave 3 different orders). Of the
// orders lxc prints, the fixture holds the one in key order, which is what img renders; rerunning
// until lxc prints it keeps the capture a real lxc output rather than text sorted afterwards.
const info = (key: string, run: string): Capture => ({key, run, info: true});
const setup = (what: string, act: (s: Session) => void): Step => ({setup: what, act});

// In the order they run; each capture sees the state the steps before it left. The fixture lists
// the captures in KEY_ORDER instead.
const PLAN: Step[] = [
  cap('emptyTable', 'lxc image list'),
  cap('emptyCompact', 'lxc image list --format compact'),
  cap('aliasEmpty', 'lxc image alias list'),
  setup('import the four images', (s) => ['ubuntu', 'alpine', 'fedora', 'debian'].forEach((n) => s.importImage(n))),
  cap('defaultTable', 'lxc image list'),
  cap('defaultCsv', 'lxc image list --format csv'),
  cap('defaultCompact', 'lxc image list --format compact'),
  cap('colL', 'lxc image list -c l'),
  cap('colAliases', 'lxc image list -c L'),
  cap('colF', 'lxc image list -c f'),
  cap('colP', 'lxc image list -c p'),
  cap('colS', 'lxc image list -c s'),
  cap('allColumns', 'lxc image list -c lfFpdastuL'),
  cap('allColumnsCsv', 'lxc image list -c lfFpdastuL --format csv'),
  cap('colLL', 'lxc image list -c ll'),
  cap('aliasesCsv', 'lxc image list -c L --format csv'),
  cap('aliasesCompact', 'lxc image list -c L --format compact'),
  cap('aliasTable', 'lxc image alias list'),
  cap('aliasCsv', 'lxc image alias list --format csv'),
  cap('aliasCompact', 'lxc image alias list --format compact'),
  info('infoDebian', 'lxc image info debian'),
  info('infoFedora', 'lxc image info 7025'),
  // Descriptions that exercise quoting and widths, set on the image without one, then removed.
  setup('fedora description with a comma and quotes', (s) => s.lxc('image', 'set-property', '7025', 'description', 'Has, comma and "quotes"')),
  cap('csvCommaQuote', 'lxc image list 7025 -c fd --format csv'),
  cap('tableCommaQuote', 'lxc image list 7025 -c fd'),
  setup('fedora description with a leading space', (s) => s.lxc('image', 'set-property', '7025', 'description', ' leading space')),
  cap('csvLeadingSpace', 'lxc image list 7025 -c fd --format csv'),
  setup('fedora description with wide characters', (s) => s.lxc('image', 'set-property', '7025', 'description', 'Ünïcödé 日本語 desc')),
  cap('tableWide', 'lxc image list 7025 -c fd'),
  cap('compactWide', 'lxc image list 7025 -c fd --format compact'),
  setup('fedora description on two lines', (s) => s.lxc('image', 'set-property', '7025', 'description', 'line one\nline two')),
  cap('tableMultiline', 'lxc image list 7025 -c fdp'),
  cap('csvMultiline', 'lxc image list 7025 -c fd --format csv'),
  setup('fedora description with leading and trailing spaces', (s) => s.lxc('image', 'set-property', '7025', 'description', '  two leading, trailing  ')),
  catA('tableSpaces', 'lxc image list 7025 -c fd'),
  catA('compactSpaces', 'lxc image list 7025 -c fd --format compact'),
  catA('csvSpaces', 'lxc image list 7025 -c fd --format csv'),
  setup('fedora without a description again', (s) => s.lxc('image', 'unset-property', '7025', 'description')),
  setup('fedora without profiles', (s) => s.edit('7025', {profiles: []})),
  info('infoNoProfiles', 'lxc image info 7025'),
  setup('fedora with the default profile again', (s) => s.edit('7025', {profiles: ['default']})),
  setup('ubuntu expires', (s) => s.edit('ubuntu', {expires_at: '2030-01-02T03:04:05Z'})),
  info('infoUbuntuExpires', 'lxc image info ubuntu'),
  // lxc 5.0.2's `image alias create` has no --description: the API takes one.
  setup('alias "described" (with a description) on alpine', (s) => s.createAlias('described', 'alpine', 'Alias with a description')),
  cap('aliasAndAliases', 'lxc image list -c lL alpine'),
  info('infoAlpine', 'lxc image info alpine'),
  setup('alias "fed" on fedora', (s) => s.lxc('image', 'alias', 'create', 'fed', '7025')),
  cap('aliasDescribed', 'lxc image alias list'),
  setup('fedora: aliases zz, bb, aa instead of fed', (s) => {
    s.lxc('image', 'alias', 'delete', 'fed');
    for (const a of ['zz', 'bb', 'aa']) s.lxc('image', 'alias', 'create', a, '7025');
  }),
  cap('tiedAlias', 'lxc image list 7025 -c lL'),
  info('infoFedoraAliases', 'lxc image info 7025C236'),
  cap('aliasTies', 'lxc image alias list'),
  setup('import a fifth image (alias f1)', (s) => s.importImage('f1')),
  cap(
    'aliasNatural',
    'lxc image alias create img10 7025 && lxc image alias create img2 ffb8 && lxc image alias create img1 ffb8 && lxc image alias list img --format csv',
  ),
  cap('csvAliasCounts', 'lxc image list -c lf --format csv'),
  setup('drop the img aliases; import a sixth image (alias g1)', (s) => {
    for (const a of ['img10', 'img2', 'img1']) s.lxc('image', 'alias', 'delete', a);
    s.importImage('g1');
  }),
  cap('sixImages', 'lxc image list -c lf'),
];

// The committed file's order, which groups the captures by what they show.
const KEY_ORDER = [
  'emptyTable',
  'emptyCompact',
  'defaultTable',
  'defaultCsv',
  'defaultCompact',
  'colL',
  'colAliases',
  'colF',
  'colP',
  'colS',
  'allColumns',
  'allColumnsCsv',
  'colLL',
  'aliasesCsv',
  'aliasesCompact',
  'aliasAndAliases',
  'tiedAlias',
  'csvAliasCounts',
  'csvCommaQuote',
  'tableCommaQuote',
  'csvLeadingSpace',
  'tableWide',
  'compactWide',
  'tableMultiline',
  'csvMultiline',
  'tableSpaces',
  'compactSpaces',
  'csvSpaces',
  'aliasEmpty',
  'aliasTable',
  'aliasCsv',
  'aliasCompact',
  'aliasDescribed',
  'aliasNatural',
  'aliasTies',
  'sixImages',
  'infoDebian',
  'infoFedora',
  'infoAlpine',
  'infoUbuntuExpires',
  'infoNoProfiles',
  'infoFedoraAliases',
];

const comment = (c: Capture): string => `$ ${c.run}${c.note ? `  (${c.note})` : ''}`;

class Session {
  /** Image name → the fingerprint of the bytes built here. */
  readonly imported = new Map<string, string>();
  /** Real fingerprint → the one the image carries after pinning. */
  readonly pinned = new Map<string, string>();

  constructor(
    private readonly lxd: ThrowawayLxd,
    private readonly work: string,
  ) {}

  /** Environment for lxc: C locale (no translated text) and UTC (lxc prints local times). */
  get env(): NodeJS.ProcessEnv {
    return {...this.lxd.env, LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8', TZ: 'UTC'};
  }

  lxc(...args: string[]): string {
    const r = spawnSync('lxc', args, {env: this.env, encoding: 'utf8', input: ''});
    if (r.status !== 0) throw new Error(`lxc ${args.join(' ')}: ${(r.stderr || r.stdout).trim()}`);
    return r.stdout;
  }

  sql(query: string): void {
    const r = spawnSync('lxd', ['sql', 'global', query], {env: this.env, encoding: 'utf8'});
    if (r.status !== 0) throw new Error(`lxd sql global: ${r.stderr.trim()}`);
    if (!/Rows affected: 1\b/.test(r.stdout)) throw new Error(`lxd sql global did not change one row: ${query}`);
  }

  importImage(name: string): void {
    const spec = IMAGES[name]!;
    const files = spec.files.map((f) => join(this.work, f));
    const flags = [...spec.aliases.flatMap((a) => ['--alias', a]), ...(spec.public ? ['--public'] : [])];
    const out = this.lxc('image', 'import', ...files, ...flags);
    const real = /\b[0-9a-f]{64}\b/.exec(out)?.[0];
    if (!real) throw new Error(`lxc image import ${name}: no fingerprint in ${JSON.stringify(out)}`);
    this.imported.set(name, real);
    const fingerprint = spec.pin.fingerprint.length === 64 ? spec.pin.fingerprint : spec.pin.fingerprint + real.slice(spec.pin.fingerprint.length);
    this.sql(`UPDATE images SET fingerprint='${fingerprint}' WHERE fingerprint='${real}'`);
    if (spec.pin.uploaded_at) this.sql(`UPDATE images SET upload_date='${sqlTime(spec.pin.uploaded_at)}' WHERE fingerprint='${fingerprint}'`);
    this.pinned.set(real, fingerprint);
  }

  /** `lxc image edit` with the image's current PUT fields and `change` (JSON is YAML to lxc). */
  edit(ref: string, change: Record<string, unknown>): void {
    const fp = this.fingerprintOf(ref);
    const cur = JSON.parse(this.lxc('query', `/1.0/images/${fp}`)) as Record<string, unknown>;
    const put = {auto_update: cur.auto_update, properties: cur.properties, public: cur.public, expires_at: cur.expires_at, profiles: cur.profiles, ...change};
    const r = spawnSync('lxc', ['image', 'edit', ref], {env: this.env, encoding: 'utf8', input: JSON.stringify(put)});
    if (r.status !== 0) throw new Error(`lxc image edit ${ref}: ${r.stderr.trim()}`);
  }

  createAlias(name: string, target: string, description: string): void {
    const body = JSON.stringify({name, target: this.fingerprintOf(target), description});
    this.lxc('query', '-X', 'POST', '/1.0/images/aliases', '--data', body);
  }

  private fingerprintOf(ref: string): string {
    const fp = this.lxc('image', 'list', ref, '-c', 'F', '--format', 'csv').trim();
    if (!/^[0-9a-f]{64}$/.test(fp)) throw new Error(`"${ref}" names ${fp ? 'more than one image' : 'no image'}`);
    return fp;
  }

  /** stdout of a capture's command, one string per line. */
  capture(c: Capture): string[] {
    if (!c.info) return this.captureOnce(c);
    for (let attempt = 1; attempt <= 200; attempt++) {
      const lines = this.captureOnce(c);
      const start = lines.indexOf('Properties:');
      const end = lines.indexOf('Aliases:');
      if (start < 0 || end < start) throw new Error(`${c.key}: no Properties:/Aliases: lines in the output`);
      const keys = lines
        .slice(start + 1, end)
        .filter((l) => l.startsWith('    '))
        .map((l) => l.trim().split(':')[0]!);
      if (keys.every((k, i) => i === 0 || Buffer.compare(Buffer.from(keys[i - 1]!), Buffer.from(k)) < 0)) return lines;
    }
    throw new Error(`${c.key}: lxc did not print the properties in key order in 200 runs`);
  }

  private captureOnce(c: Capture): string[] {
    const r = spawnSync('sh', ['-c', c.run], {env: this.env, encoding: 'utf8', input: ''});
    if (r.status !== 0 || r.stderr.trim() !== '') throw new Error(`${c.key}: \`${c.run}\` exited ${r.status}: ${r.stderr.trim()}`);
    // The tests compare with lines.join('\n') + '\n': a capture without a final newline could not be held.
    if (!r.stdout.endsWith('\n') && r.stdout !== '') throw new Error(`${c.key}: output does not end with a newline`);
    const lines = r.stdout === '' ? [] : r.stdout.slice(0, -1).split('\n');
    if (!c.catA) return lines;
    return lines.map((l) => {
      if (!l.endsWith('$')) throw new Error(`${c.key}: a line from cat -A without its $: ${JSON.stringify(l)}`);
      return l.slice(0, -1);
    });
  }
}

/** An RFC 3339 time as LXD 5.0.2 stores it in its database. */
function sqlTime(iso: string): string {
  const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d(?:\.\d+)?)Z$/.exec(iso);
  if (!m) throw new Error(`not a UTC time: ${iso}`);
  return `${m[1]} ${m[2]}+00:00`;
}

/** Write the image files of IMAGES into `dir`, byte for byte the same on every run. */
function buildImages(dir: string): void {
  const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): void => {
    const r = spawnSync(cmd, args, {cwd: dir, encoding: 'utf8', env});
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
  };
  const tarFlags = ['--sort=name', `--mtime=@${EPOCH}`, '--owner=0', '--group=0', '--numeric-owner', '--format=gnu'];
  const tree = (name: string, withRootfs: boolean): string => {
    const t = join(dir, `${name}.tree`);
    mkdirSync(join(t, withRootfs ? 'rootfs/etc' : '.'), {recursive: true});
    const props = Object.entries(IMAGES[name]!.properties)
      .map(([k, v]) => `  ${k}: ${JSON.stringify(v)}\n`)
      .join('');
    writeFileSync(join(t, 'metadata.yaml'), `architecture: x86_64\ncreation_date: ${EPOCH}\nproperties:\n${props}`);
    if (withRootfs) writeFileSync(join(t, 'rootfs/etc/hostname'), `${name}\n`);
    return t;
  };
  run('tar', [...tarFlags, '-C', tree('ubuntu', true), '-cf', 'a.tar', 'metadata.yaml', 'rootfs']);
  run('tar', [...tarFlags, '-C', tree('alpine', true), '-cJf', 'b.tar.xz', 'metadata.yaml', 'rootfs']);
  // gzip -n: no name or time in the gzip header.
  const gz = (name: string, file: string): void =>
    run('sh', ['-c', `tar ${tarFlags.join(' ')} -C "$1" -cf - metadata.yaml rootfs | gzip -9n > "$2"`, 'sh', tree(name, true), file]);
  gz('fedora', 'c.tar.gz');
  gz('f1', 'e.tar.gz');
  gz('g1', 'f.tar.gz');
  const debian = tree('debian', false);
  run('tar', [...tarFlags, '-C', debian, '-cJf', 'd-meta.tar.xz', 'metadata.yaml']);
  mkdirSync(join(dir, 'debian.rootfs/etc'), {recursive: true});
  writeFileSync(join(dir, 'debian.rootfs/etc/hostname'), 'debian\n');
  run('mksquashfs', ['debian.rootfs', 'd-rootfs.squashfs', '-noappend', '-comp', 'xz', '-all-root', '-quiet'], {
    ...process.env,
    SOURCE_DATE_EPOCH: String(EPOCH),
  });
}

/** The fixture file: the committed shape, a header saying where it came from. */
function render(captures: Map<string, string[]>, versions: {lxd: string; debian: string}): string {
  const byKey = new Map(PLAN.filter((s): s is Capture => 'key' in s).map((c) => [c.key, c]));
  const out = [
    `// Output of the real \`lxc\` ${versions.lxd} client (Debian ${versions.debian}) against a throwaway LXD daemon,`,
    `// captured byte for byte on ${today()}: the expected text of img's lxc-style rendering. Each key`,
    '// names the invocation in the comment above it; the images are the four of test/render/image.test.ts.',
    "// Made by scripts/capture-lxc-output.ts, which pins fingerprints and upload dates to the first capture's.",
    'export const LXC: Record<string, string[]> = {',
  ];
  for (const key of KEY_ORDER) {
    out.push(`  // ${comment(byKey.get(key)!)}`, `  ${key}: [`);
    for (const line of captures.get(key)!) out.push(`    ${JSON.stringify(line)},`);
    out.push('  ],');
  }
  out.push('};', '');
  return out.join('\n');
}

/**
 * Compare the plan with the committed fixture's keys and comments, so that a capture added there
 * by hand, or an invocation changed on one side only, is reported instead of silently dropped.
 */
function checkAgainstCommitted(): void {
  if (!existsSync(COMMITTED)) return;
  const text = readFileSync(COMMITTED, 'utf8');
  const committed = new Map<string, string | undefined>();
  let last: string | undefined;
  for (const line of text.split('\n')) {
    const c = /^ {2}\/\/ (\$ .*)$/.exec(line);
    const k = /^ {2}(\w+): \[$/.exec(line);
    if (c) last = c[1];
    else if (k) {
      committed.set(k[1]!, last);
      last = undefined;
    }
  }
  const planned = new Map(PLAN.filter((s): s is Capture => 'key' in s).map((c) => [c.key, comment(c)]));
  const unknown = [...committed.keys()].filter((k) => !planned.has(k));
  if (unknown.length > 0) die(SCRIPT, `the committed fixture has captures this script cannot make: ${unknown.join(', ')}`);
  for (const [key, want] of planned) {
    if (!committed.has(key)) say(SCRIPT, `note: ${key} is new (not in the committed fixture)`);
    else if (committed.get(key) === undefined) say(SCRIPT, `note: ${key} has no "// $ …" comment in the committed fixture; this one says "${want}"`);
    else if (committed.get(key) !== want) say(SCRIPT, `note: ${key}: the committed comment says "${committed.get(key)}", this script runs "${want}"`);
  }
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({options: {write: {type: 'boolean', default: false}, help: {type: 'boolean', short: 'h', default: false}}, allowPositionals: true});
  } catch (err) {
    die(SCRIPT, (err as Error).message);
  }
  if (args.values.help) {
    process.stdout.write('usage: node --import tsx scripts/capture-lxc-output.ts [--write | OUT]   (stdout without either)\n');
    return;
  }
  if (args.positionals.length > 1) die(SCRIPT, 'at most one output path');
  const output = {write: args.values.write, out: args.positionals[0]};
  checkOutput(SCRIPT, output, COMMITTED);
  requireLxd(SCRIPT);
  const keys = PLAN.filter((s): s is Capture => 'key' in s).map((c) => c.key);
  if (new Set(keys).size !== keys.length || keys.length !== KEY_ORDER.length || !KEY_ORDER.every((k) => keys.includes(k))) {
    die(SCRIPT, 'PLAN and KEY_ORDER disagree: every capture must appear once in each');
  }
  checkAgainstCommitted();
  const started = Date.now();
  const versions = lxdVersions();
  let captures: Map<string, string[]>;
  try {
    captures = await withThrowawayLxd(SCRIPT, async (lxd) => {
      const work = join(lxd.dir, 'images');
      mkdirSync(work);
      buildImages(work);
      const session = new Session(lxd, work);
      const got = new Map<string, string[]>();
      for (const step of PLAN) {
        await checkpoint();
        try {
          if ('key' in step) got.set(step.key, session.capture(step));
          else step.act(session);
        } catch (err) {
          throw new Error(`${'key' in step ? `capture ${step.key}` : step.setup}: ${(err as Error).message.replace(/\s+/g, ' ')}`);
        }
      }
      say(SCRIPT, `imported ${[...session.imported].map(([n, fp]) => `${n} ${fp.slice(0, 12)}→${session.pinned.get(fp)!.slice(0, 12)}`).join(', ')}`);
      return got;
    });
  } catch (err) {
    // Reported only now, after withThrowawayLxd has stopped the daemon.
    die(SCRIPT, (err as Error).message);
  }
  writeOutput(SCRIPT, render(captures, versions), output, COMMITTED);
  say(SCRIPT, `${captures.size} captures in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

await main();
