import {Flags} from '@oclif/core';
import {arg, ImgCommand, formatFlag} from '../../base-command.js';
import {PROPERTY_RULE, splitProperties} from '../../cli/properties.js';
import {UsageError} from '../../lib/errors.js';
import {toLxdImage} from '../../lib/image/api.js';
import type {ImageSource} from '../../lib/image/types.js';
import {isRemoteOnly} from '../../lib/remotes/ref.js';
import {importImage} from '../../lib/store/import.js';

export default class ImageImport extends ImgCommand {
  static override summary = 'Import an image into the store';
  static override description = `Import a unified image (one tarball) or a split image (a metadata tarball and a rootfs tarball, squashfs or qcow2). Use - to read a unified image from stdin.

The archive is read as LXD reads it: until metadata.yaml and the first rootfs/ entry are found, while the whole file is hashed. key=value arguments set properties on the image record (not in the file, so the fingerprint is unchanged): ${PROPERTY_RULE}.`;
  static override examples = [
    '<%= config.bin %> image import ubuntu.tar.xz --alias ubuntu',
    '<%= config.bin %> image import meta.tar.xz rootfs.squashfs --alias debian os=Debian',
    'xzcat image.tar.xz | <%= config.bin %> image import -',
  ];
  static override strict = false;
  static override args = {
    file: arg({description: 'unified tarball, or metadata tarball of a split image (- for stdin)', required: true}),
    rootfs: arg({description: 'rootfs tarball, squashfs or qcow2 of a split image'}),
  };
  static override flags = {
    alias: Flags.string({description: 'New alias to define for the image', multiple: true, multipleNonGreedy: true}),
    public: Flags.boolean({description: 'Make the image public'}),
    move: Flags.boolean({
      description:
        'Move the files into the store instead of copying them (no data is written when they are on the same filesystem); they are removed once imported',
    }),
    format: formatFlag('table', ['table', 'json', 'yaml']),
  };

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(ImageImport);
    const {properties, rest} = splitProperties(argv as string[]);
    const remotes = await this.openRemotes();
    // The target remote (`local:`) must exist; only the local store takes imports.
    for (const target of rest.filter(isRemoteOnly)) remotes.source(target.slice(0, -1));
    const files = rest.filter((a) => !isRemoteOnly(a));
    if (files.length === 0 || files.length > 2) throw new UsageError('give one unified image, or a metadata file and a rootfs file');
    const url = files.find((f) => /^[a-z][a-z0-9+.-]*:\/\//i.test(f));
    if (url) throw new UsageError(`importing from a URL (${url}) comes with remote support; download the file and import it`);
    if (files[1] === '-') throw new UsageError('only the first file can be read from stdin');
    const sources: ImageSource[] = files.map((f) => (f === '-' ? {stream: process.stdin, name: '-'} : {path: f}));
    const progress = this.progress('Importing');
    const image = await importImage(remotes.store, sources, {
      aliases: flags.alias ?? [],
      public: flags.public,
      properties,
      move: flags.move,
      onProgress: (done, total) => progress.update(done, total),
      onWarning: (w) => this.warning(w),
    });
    progress.clear();
    if (flags.format === 'json') this.outJson(toLxdImage(image));
    else if (flags.format === 'yaml') await this.outYaml(toLxdImage(image));
    else this.out(`Image imported with fingerprint: ${image.fingerprint}`);
  }
}
