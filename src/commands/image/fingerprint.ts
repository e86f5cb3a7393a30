import {arg, ImgCommand, formatFlag} from '../../base-command.js';
import {readImage} from '../../lib/image/read-image.js';

export default class ImageFingerprint extends ImgCommand {
  static override summary = 'Print the fingerprint LXD would give an image, without importing it';
  static override description =
    "The sha256 of a unified image file, or of a split image's metadata file followed by its root file. Only the first bytes are inspected for the format; nothing is decompressed.";
  static override args = {
    file: arg({description: 'unified tarball, or metadata tarball of a split image', required: true}),
    rootfs: arg({description: 'rootfs file of a split image'}),
  };
  static override flags = {format: formatFlag('table', ['table', 'json'])};

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ImageFingerprint);
    const files = args.rootfs ? [args.file, args.rootfs] : [args.file];
    const progress = this.progress('Hashing');
    const r = await readImage(
      files.map((path) => ({path})),
      {scan: false, onProgress: (d, t) => progress.update(d, t)},
    );
    progress.clear();
    if (flags.format === 'json') {
      this.outJson({
        fingerprint: r.fingerprint,
        size: r.size,
        files: r.files.map((f) => ({name: f.sourceName, size: f.size, format: f.format.kind, compression: f.format.compression})),
      });
    } else {
      this.out(r.fingerprint);
    }
  }
}
