import {arg, ImgCommand} from '../base-command.js';
import {PROPERTY_RULE} from '../cli/properties.js';
import {publishFlags, publishOptions} from '../cli/publish.js';
import {publishImage} from '../lib/store/publish.js';
import {formatBytes, showBuild} from '../render/progress.js';

export default class Publish extends ImgCommand {
  static override summary = 'Build an image from a root filesystem and add it to the store';
  static override description = `Packs --rootfs DIR into a unified image (one tarball: metadata.yaml, templates/, rootfs/) or a split one (a metadata tarball and a rootfs tarball or squashfs), puts it in the store and prints its fingerprint.

Without --metadata, img writes a metadata.yaml with this host's architecture and creation_date from SOURCE_DATE_EPOCH (or now). key=value arguments are merged into its properties (unlike lxc publish, which replaces them all): ${PROPERTY_RULE}. --compression applies to the unified tarball or to both tarballs of a split image; a squashfs rootfs uses mksquashfs's codec of the same name where it has one (gzip, xz, zstd) and its default otherwise.

Output is reproducible: entries are sorted, owners numeric, and with SOURCE_DATE_EPOCH set every time is fixed, so the same input gives the same fingerprint.`;
  static override examples = [
    '<%= config.bin %> publish --rootfs ./rootfs --metadata metadata.yaml --templates ./templates --alias tiny',
    '<%= config.bin %> publish --rootfs ./rootfs --format split --rootfs-format squashfs --compression xz --output ./out',
    'SOURCE_DATE_EPOCH=1700000000 <%= config.bin %> publish --rootfs ./rootfs os=tinyos release=1.0 --stock-templates hostname,hosts',
  ];
  static override strict = false;
  static override args = {instance: arg({description: 'instance[/snapshot] to publish (instances are not available yet: use --rootfs)'})};
  static override flags = publishFlags;

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Publish);
    // As LXD's publish: without --compression, the images.compression_algorithm setting.
    const compression = flags.compression ?? (await this.openConfig()).setting('images.compression_algorithm');
    const options = publishOptions({...flags, compression}, argv as string[], process.env);
    const progress = this.progress('Publishing');
    const result = await publishImage(await this.openStore(), {
      ...options,
      onWarning: (w) => {
        progress.clear();
        this.warning(w);
      },
      onProgress: showBuild(progress),
    });
    progress.clear();
    const note = result.existed ? ' (already in the store)' : '';
    this.out(`Image published with fingerprint: ${result.image.fingerprint}${note}`);
    if (!this.quiet) for (const f of result.output) process.stderr.write(`Wrote ${f.path} (${formatBytes(f.size)})\n`);
  }
}
