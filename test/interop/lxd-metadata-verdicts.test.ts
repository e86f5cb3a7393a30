// Must-show 3: img's import accepts and refuses the same metadata.yaml as LXD 5.0.2. The
// verdicts in test/fixtures/lxd-metadata-verdicts.json were measured with a real LXD 5.0.2
// (see its `origin`); every case is replayed through img here, the spec's §2.1 table also
// through the CLI (one clear line, exit 1, store untouched), and — where LXD is installed —
// that table is judged live by a throwaway LXD daemon.
import assert from 'node:assert/strict';
import {writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {after, before, describe, test} from 'node:test';
import {isUserError} from '../../src/lib/errors.js';
import {readImage} from '../../src/lib/image/read-image.js';
import {fingerprintIn, img, isCleanError} from '../helpers/cli.js';
import {assertSameMeaning, caseBytes, imageWithMetadata, VERDICTS} from '../helpers/lxd-verdicts.js';
import {lxdSkipReason, ThrowawayLxd} from '../helpers/lxd.js';
import {tempDir} from '../helpers/tmp.js';

const fixture = VERDICTS;

async function imgVerdict(
  meta: Buffer,
): Promise<
  {accepted: true; architecture: string; created_at: string; expires_at: string; properties: Record<string, string>} | {accepted: false; error: string}
> {
  const {Readable} = await import('node:stream');
  try {
    const r = await readImage([{stream: Readable.from([imageWithMetadata(meta)]), name: 'metadata-case.tar'}], {scan: true});
    const {metadataRecordFields} = await import('../../src/lib/image/metadata.js');
    const f = metadataRecordFields(r.metadata!);
    return {accepted: true, architecture: f.architecture, created_at: f.created_at, expires_at: f.expires_at, properties: f.properties};
  } catch (err) {
    if (!isUserError(err)) throw err;
    return {accepted: false, error: err.message};
  }
}

describe(`every metadata.yaml case measured with LXD (${fixture.origin})`, () => {
  for (const c of fixture.cases.filter((x) => x.kind === 'metadata')) {
    const meta = caseBytes(c);
    if (!meta) continue; // generated size cases: covered below
    test(c.name, async () => {
      const mine = await imgVerdict(meta);
      assert.equal(
        mine.accepted,
        c.lxd.accepted,
        `LXD ${c.lxd.accepted ? 'accepted' : `refused (${c.lxd.error})`}; img ${mine.accepted ? 'accepted' : `refused (${(mine as {error: string}).error})`}`,
      );
      if (mine.accepted) {
        assert.equal(mine.architecture, c.lxd.architecture);
        assert.equal(mine.created_at, c.lxd.created_at);
        assert.equal(mine.expires_at, c.lxd.expires_at);
        assert.deepEqual(mine.properties, c.lxd.properties);
      } else {
        assertSameMeaning(c.lxd.error!, {message: mine.error});
      }
    });
  }

  const head = 'architecture: x86_64\ncreation_date: 1700000000\nproperties:\n  os: tinyos\n';
  test('metadata.yaml of exactly 1 MiB is accepted, one byte more is refused (as LXD)', async () => {
    const exact = Buffer.from(head + '#' + 'x'.repeat((1 << 20) - head.length - 2) + '\n');
    assert.equal(exact.length, 1 << 20);
    assert.equal((await imgVerdict(exact)).accepted, true);
    const over = Buffer.from(head + '#' + 'x'.repeat((1 << 20) - head.length - 1) + '\n');
    const v = await imgVerdict(over);
    assert.equal(v.accepted, false);
    assert.match((v as {error: string}).error, /too large/);
  });

  test('deliberate difference: a file over 1 MiB is refused even when its first document is smaller (LXD reads only the first)', async () => {
    const doc = Buffer.from(head + '---\n#' + 'x'.repeat(1 << 20) + '\n');
    const v = await imgVerdict(doc);
    assert.equal(v.accepted, false);
  });
});

/** The spec's §2.1 decoder table (lxd-images.md), by fixture case name. */
const SPEC_TABLE = [
  'baseline-valid',
  'creation-date-missing',
  'creation-date-zero',
  'creation-date-quoted-date-string',
  'creation-date-negative',
  'creation-date-float-fraction',
  'architecture-foo',
  'architecture-missing',
  'architecture-X86_64',
  'architecture-amd64',
  'document-unknown-top-level-keys',
  'property-value-int-5',
  'property-value-bool-true',
  'document-json',
  'templates-when-unknown',
  'templates-template-file-missing',
  'templates-template-path-traversal',
  'templates-when-string',
  'document-empty',
];

describe('the spec §2.1 table through `img image import`: each refusal one line, exit 1, store untouched', () => {
  const work = tempDir();
  const home = join(work, 'home');
  const cases = SPEC_TABLE.map((n) => fixture.cases.find((c) => c.name === n)!);
  for (const c of cases) {
    test(c.name, () => {
      assert.ok(c, 'case is in the fixture');
      const file = join(work, `${c.name}.tar`);
      writeFileSync(file, imageWithMetadata(caseBytes(c)!));
      const before = img(['image', 'list', '--format', 'json'], {home}).stdout;
      const r = img(['image', 'import', file, '--alias', c.name], {home});
      if (c.lxd.accepted) {
        assert.equal(r.code, 0, r.stderr);
        const info = JSON.parse(img(['image', 'info', c.name, '--format', 'json'], {home}).stdout) as Record<string, unknown>;
        for (const k of ['architecture', 'created_at', 'expires_at', 'properties', 'type'] as const) assert.deepEqual(info[k], c.lxd[k], k);
        assert.equal(img(['image', 'delete', c.name], {home}).code, 0);
      } else {
        assert.equal(r.code, 1);
        assert.ok(isCleanError(r.stderr), r.stderr);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assertSameMeaning(c.lxd.error!, {message: r.stderr.replace(/^Error: /, '').trim()});
        assert.equal(img(['image', 'list', '--format', 'json'], {home}).stdout, before);
      }
    });
  }
});

describe('the spec §2.1 table judged live by LXD 5.0.2', {skip: lxdSkipReason()}, () => {
  let lxd: ThrowawayLxd;
  const work = tempDir();
  const home = join(work, 'home');
  before(async () => {
    lxd = await ThrowawayLxd.start();
  });
  after(async () => {
    await lxd?.stop();
  });
  for (const name of SPEC_TABLE) {
    test(name, () => {
      const c = fixture.cases.find((x) => x.name === name)!;
      const file = join(work, `${name}.tar`);
      writeFileSync(file, imageWithMetadata(caseBytes(c)!));
      const theirs = lxd.importImage([file]);
      const mine = img(['image', 'import', file], {home});
      assert.equal(mine.code === 0, theirs.fingerprint !== undefined, `LXD: ${theirs.error ?? 'accepted'}; img: ${mine.stderr || 'accepted'}`);
      if (theirs.fingerprint) {
        assert.equal(fingerprintIn(mine.stdout), theirs.fingerprint);
        const l = lxd.image(theirs.fingerprint);
        const m = JSON.parse(img(['image', 'info', theirs.fingerprint, '--format', 'json'], {home}).stdout) as Record<string, unknown>;
        for (const k of ['architecture', 'created_at', 'expires_at', 'properties', 'type']) assert.deepEqual(m[k], l[k], k);
        lxd.lxc(['image', 'delete', theirs.fingerprint]);
      } else {
        assertSameMeaning(theirs.error!, {message: mine.stderr.replace(/^Error: /, '').trim()});
      }
    });
  }
});
