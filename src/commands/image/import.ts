import {existsSync} from 'node:fs';
import {Flags} from '@oclif/core';
import {arg, ImgCommand, formatFlag} from '../../base-command.js';
import {UsageError} from '../../lib/errors.js';
import type {ImageSource} from '../../lib/image/read-image.js';
import {parseRef} from '../../lib/refs.js';
import {toLxdImage} from '../../lib/store/record.js';

export default class ImageImport extends ImgCommand {
  static override summary = 'Import an image into the store';
  static override description = `Import a unified image (one tarball) or a split image (a metadata tarball and a rootfs tarball, squashfs or qcow2). Use - to read a unified image from stdin.

The archive is read as LXD reads it: until metadata.yaml and the first rootfs/ entry are found, while the whole file is hashed. key=value arguments set properties on the image record (not in the file, so the fingerprint is unchanged).`;
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
    move: Flags.boolean({description: 'Move the files into the store instead of copying them (no data is written when they are on the same filesystem); they are removed once imported'}),
    format: formatFlag('table', ['table', 'json', 'yaml']),
  };

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(ImageImport);
    const files: string[] = [];
    const properties: Record<string, string> = {};
    for (const arg of argv as string[]) {
      if (arg.includes('=') && !existsSync(arg)) {
        const i = arg.indexOf('=');
        properties[arg.slice(0, i).trim()] = arg.slice(i + 1).trim();
      } else if (/^[^/.][^/]*:$/.test(arg)) {
        parseRef(arg); // the target remote: only local: exists
      } else {
        files.push(arg);
      }
    }
    if (files.length === 0 || files.length > 2) throw new UsageError('give one unified image, or a metadata file and a rootfs file');
    const url = files.find((f) => /^[a-z][a-z0-9+.-]*:\/\//i.test(f));
    if (url) throw new UsageError(`importing from a URL (${url}) comes with remote support; download the file and import it`);
    if (files[1] === '-') throw new UsageError('only the first file can be read from stdin');
    const sources: ImageSource[] = files.map((f) => (f === '-' ? {stream: process.stdin, name: '-'} : {path: f}));
    const progress = this.progress('Importing');
    const store = await this.openStore();
    const image = await store.importImage(sources, {
      aliases: flags.alias ?? [],
      public: flags.public,
      properties,
      move: flags.move,
      onProgress: (done, total) => progress.update(done, total),
      onWarning: (w) => this.warn2(w),
    });
    progress.clear();
    if (flags.format === 'json') this.outJson(toLxdImage(image));
    else if (flags.format === 'yaml') await this.outYaml(toLxdImage(image));
    else this.out(`Image imported with fingerprint: ${image.fingerprint}`);
  }
}
