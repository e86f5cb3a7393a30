import {Flags} from '@oclif/core';
import {arg, ImgCommand, formatFlag} from '../../base-command.js';
import {importArgs} from '../../cli/import-args.js';
import {PROPERTY_RULE} from '../../cli/properties.js';
import {toLxdImage} from '../../lib/image/api.js';
import {importImage} from '../../lib/store/import.js';
import type {Warning} from '../../lib/warn.js';

export default class ImageImport extends ImgCommand {
  static override summary = 'Import an image into the store';
  static override description = `Import a unified image (one tarball) or a split image (a metadata tarball and a rootfs tarball, squashfs or qcow2). Use - to read a unified image from stdin, or give an https:// URL: a server speaking LXD's direct-URL protocol (LXD-Image-Hash, LXD-Image-URL), or a plain unified tarball.

The archive is read as LXD reads it: until metadata.yaml and the first rootfs/ entry are found, while the whole file is hashed. key=value arguments set properties on the image record (not in the file, so the fingerprint is unchanged): ${PROPERTY_RULE}.`;
  static override examples = [
    '<%= config.bin %> image import ubuntu.tar.xz --alias ubuntu',
    '<%= config.bin %> image import meta.tar.xz rootfs.squashfs --alias debian os=Debian',
    '<%= config.bin %> image import https://images.example.org/debian/12 --alias debian',
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
    const remotes = await this.openRemotes();
    const args = importArgs(argv as string[], remotes, process.stdin);
    const {properties} = args;
    const progress = this.progress('Importing');
    const common = {aliases: flags.alias ?? [], public: flags.public, properties, onWarning: (w: Warning) => this.warning(w)};
    const onProgress = (done: number, total: number | undefined) => progress.update(done, total);
    const image =
      args.url !== undefined
        ? await (await import('../../lib/remotes/url.js')).importFromUrl(remotes.store, args.url, {...common, onProgress})
        : await importImage(remotes.store, args.sources, {...common, move: flags.move, onProgress});
    progress.clear();
    if (flags.format === 'json') this.outJson(toLxdImage(image));
    else if (flags.format === 'yaml') await this.outYaml(toLxdImage(image));
    else this.out(`Image imported with fingerprint: ${image.fingerprint}`);
  }
}
