import {Flags} from '@oclif/core';
import {arg, ImgCommand, formatFlag} from '../../base-command.js';
import {verifyImage, type VerifyResult} from '../../lib/store/verify.js';
import {renderVerify} from '../../render/verify.js';

export default class ImageVerify extends ImgCommand {
  static override summary = 'Re-hash stored images and compare them with their fingerprints';
  static override description = `One line per image: "ok <fingerprint>", or "MISMATCH <fingerprint> <file>: expected <x> got <y>" (or "MISSING", or with --deep "CORRUPT <fingerprint> <file>: <why>"). Exits 1 if any image is not sound. Without arguments, verifies every image.

--deep also reads every archive to its end (decompression and tar structure), which an import does not: like LXD, import reads only until metadata.yaml and the first rootfs/ entry.`;
  static override strict = false;
  static override args = {image: arg({description: 'alias, fingerprint or prefix (default: all images)'})};
  static override flags = {
    deep: Flags.boolean({description: 'Also read every archive to its end'}),
    format: formatFlag('table', ['table', 'json']),
  };

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(ImageVerify);
    const remotes = await this.openRemotes();
    const refs = argv as string[];
    const images =
      refs.length > 0 ? await Promise.all(refs.map(async (r) => (await remotes.resolve(r, {localOnly: 'image verify'})).image)) : await remotes.store.list();
    const results: VerifyResult[] = [];
    const progress = this.progress('Verifying');
    let done = 0;
    const total = images.reduce((n, i) => n + i.size, 0);
    for (const image of images) {
      const r = await verifyImage(remotes.store, image, {deep: flags.deep, onProgress: (n) => progress.update((done += n), total)});
      results.push(r);
      if (flags.format !== 'json') {
        progress.clear();
        process.stdout.write(renderVerify(r));
      }
    }
    progress.clear();
    if (flags.format === 'json') this.outJson(results);
    if (results.some((r) => !r.ok)) this.exit(1);
  }
}
