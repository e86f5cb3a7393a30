/**
 * The flags every command that writes a simplestreams tree shares (--flavor, --sign-key,
 * --passphrase-file, --html, --dry-run), and what they become for the library.
 */
import {Flags} from '@oclif/core';
import type {TreeWriteOptions, TreeResult} from '../lib/simplestreams/from-store.js';
import type {Progress} from '../render/progress.js';

export const treeFlags = {
  flavor: Flags.string({
    description: 'Conventions to write; repeat for several in one tree (default: lxd, or those the tree has)',
    options: ['lxd', 'openstack', 'maas'],
    multiple: true,
  }),
  'sign-key': Flags.string({description: 'Armored OpenPGP secret key: also write clearsigned .sjson files and detached .gpg signatures'}),
  'passphrase-file': Flags.string({description: "File holding the signing key's passphrase", dependsOn: ['sign-key']}),
  html: Flags.boolean({description: 'Also write index.html, a page for people'}),
  'dry-run': Flags.boolean({description: 'Say what would change, change nothing'}),
};

export interface TreeFlagValues {
  flavor?: string[];
  'sign-key'?: string;
  'passphrase-file'?: string;
  html?: boolean;
  'dry-run'?: boolean;
}

export async function treeOptions(flags: TreeFlagValues, progress: Progress): Promise<TreeWriteOptions> {
  const opts: TreeWriteOptions = {dryRun: flags['dry-run'] ?? false, onProgress: (done, total) => progress.update(done, total)};
  if (flags.flavor) opts.flavors = flags.flavor;
  if (flags['sign-key']) {
    const {loadSigner} = await import('../lib/sign/signer.js');
    opts.signer = await loadSigner(flags['sign-key'], flags['passphrase-file']);
  }
  if (flags.html) {
    const {treePage} = await import('../lib/simplestreams/page.js');
    opts.html = treePage;
  }
  return opts;
}

/** What a change did, in a line or two (the keys themselves with --format json). */
export function describeChange(result: TreeResult<{fingerprint: string}>, dryRun: boolean): string {
  const {written, removed, kept} = result.change;
  const verb = dryRun ? 'would write' : 'wrote';
  const lines = [`${result.images.length} image(s): ${verb} ${written.length} file(s), kept ${kept}, ${dryRun ? 'would remove' : 'removed'} ${removed.length}`];
  if (dryRun) for (const k of removed) lines.push(`would remove ${k}`);
  return lines.join('\n');
}
