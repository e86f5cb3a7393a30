import {arg, ImgCommand} from '../../base-command.js';
import {exportImage, exportToStream} from '../../lib/store/export.js';

export default class ImageExport extends ImgCommand {
  static override summary = "Write an image's files, byte-identical to what was imported";
  static override description = `Files are named as LXD names them. When TARGET is an existing directory they go inside it: <fingerprint>.tar.xz for a unified image, meta-<fingerprint>.tar.xz and <fingerprint>.squashfs (or .tar.xz, .qcow2) for a split one. Otherwise TARGET names the file: TARGET plus the image's extension (unified), or TARGET and TARGET.root (split). TARGET defaults to the current directory; - writes a unified image to stdout.`;
  static override examples = ['<%= config.bin %> image export ubuntu /srv/images/', '<%= config.bin %> image export ubuntu - | ssh host img image import -'];
  static override args = {
    image: arg({description: 'alias, fingerprint or unique fingerprint prefix', required: true}),
    target: arg({description: 'directory or file name (default: current directory; - for stdout)'}),
  };

  async run(): Promise<void> {
    const {args} = await this.parse(ImageExport);
    const remotes = await this.openRemotes();
    const {image} = await remotes.resolve(args.image, {localOnly: 'image export'});
    if (args.target === '-') return exportToStream(remotes.store, image, process.stdout);
    const files = await exportImage(remotes.store, image, args.target ?? '.');
    if (!this.quiet) for (const f of files) process.stderr.write(`Wrote ${f.path}\n`);
  }
}
