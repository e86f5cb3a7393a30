import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import {mkdirSync, writeFileSync} from 'node:fs';
import {join} from 'node:path';
import {fingerprintIn, img} from './cli.js';
import {makeImageTree, makeRootfs, METADATA, tar, unifiedTarball} from './images.js';

export interface SampleFiles {
  /** A unified xz tarball of test/helpers/images.ts's tree. */
  unified: string;
  /** A split image: an xz metadata tarball and a squashfs root. */
  meta: string;
  root: string;
}

/** The image files the command tests import: made by GNU tar and mksquashfs, not by img. */
export function sampleFiles(work: string): SampleFiles {
  mkdirSync(work, {recursive: true});
  const tree = makeImageTree(join(work, 'tree'));
  const unified = unifiedTarball(tree, join(work, 'u.tar.xz'), 'J');
  mkdirSync(join(work, 'meta'));
  writeFileSync(join(work, 'meta', 'metadata.yaml'), METADATA.replace('tinyos 1.0 test image', 'split image'));
  tar(['-cJf', join(work, 'meta.tar.xz'), '-C', join(work, 'meta'), 'metadata.yaml']);
  makeRootfs(join(work, 'rootfs2'), 'split');
  execFileSync('mksquashfs', [join(work, 'rootfs2'), join(work, 'root.squashfs'), '-noappend', '-all-root', '-quiet', '-no-progress']);
  return {unified, meta: join(work, 'meta.tar.xz'), root: join(work, 'root.squashfs')};
}

export interface SampleStore {
  home: string;
  files: SampleFiles;
  /** Fingerprint of the unified image: aliases tiny and t2, properties extra=yes, os=override. */
  unified: string;
  /** Fingerprint of the split image: alias split, public. */
  split: string;
  run(args: string[], input?: string | Buffer): ReturnType<typeof img>;
}

/** A store home holding the two sample images, imported through the CLI as a user would. */
export function sampleStore(work: string, name = 'home'): SampleStore {
  const files = sampleFiles(join(work, `${name}-files`));
  const home = join(work, name);
  const run = (args: string[], input?: string | Buffer) => img(args, input === undefined ? {home} : {home, input: input as string});
  const u = run(['image', 'import', files.unified, '--alias', 'tiny', '--alias', 't2', 'extra=yes', 'os=override']);
  assert.equal(u.code, 0, u.stderr);
  const s = run(['image', 'import', files.meta, files.root, '--alias', 'split', '--public']);
  assert.equal(s.code, 0, s.stderr);
  return {home, files, unified: fingerprintIn(u.stdout)!, split: fingerprintIn(s.stdout)!, run};
}
