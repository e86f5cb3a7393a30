import {Flags} from '@oclif/core';
import {arg, ImgCommand} from '../base-command.js';
import {WRITE_COMPRESSIONS} from '../lib/archive/codecs.js';
import {UsageError} from '../lib/errors.js';
import {publishImage} from '../lib/image/publish.js';
import {formatBytes} from '../render/progress.js';

export default class Publish extends ImgCommand {
  static override summary = 'Build an image from a root filesystem and add it to the store';
  static override description = `Packs --rootfs DIR into a unified image (one tarball: metadata.yaml, templates/, rootfs/) or a split one (a metadata tarball and a rootfs tarball or squashfs), puts it in the store and prints its fingerprint.

Without --metadata, img writes a metadata.yaml with this host's architecture and creation_date from SOURCE_DATE_EPOCH (or now). key=value arguments are merged into its properties (unlike lxc publish, which replaces them all). --compression applies to the unified tarball or to both tarballs of a split image; a squashfs rootfs uses mksquashfs's codec of the same name where it has one (gzip, xz, zstd) and its default otherwise.

Output is reproducible: entries are sorted, owners numeric, and with SOURCE_DATE_EPOCH set every time is fixed, so the same input gives the same fingerprint.`;
  static override examples = [
    '<%= config.bin %> publish --rootfs ./rootfs --metadata metadata.yaml --templates ./templates --alias tiny',
    '<%= config.bin %> publish --rootfs ./rootfs --format split --rootfs-format squashfs --compression xz --output ./out',
    'SOURCE_DATE_EPOCH=1700000000 <%= config.bin %> publish --rootfs ./rootfs os=tinyos release=1.0 --stock-templates hostname,hosts',
  ];
  static override strict = false;
  static override args = {instance: arg({description: 'instance[/snapshot] to publish (instances are not available yet: use --rootfs)'})};
  static override flags = {
    rootfs: Flags.string({description: 'Root filesystem directory to pack'}),
    metadata: Flags.string({description: 'metadata.yaml to use'}),
    templates: Flags.string({description: 'Directory of template files (the image\'s templates/)'}),
    'stock-templates': Flags.string({description: 'Add img\'s stock templates: hostname, hosts, cloud-init (comma-separated)'}),
    alias: Flags.string({description: 'New alias to define for the image', multiple: true, multipleNonGreedy: true}),
    compression: Flags.option({description: 'Compression', options: WRITE_COMPRESSIONS, default: 'gzip'})(),
    format: Flags.option({description: 'Image layout', options: ['unified', 'split'] as const, default: 'unified'})(),
    'rootfs-format': Flags.option({description: 'Root file of a split image', options: ['tar', 'squashfs'] as const, default: 'tar'})(),
    public: Flags.boolean({description: 'Make the image public'}),
    output: Flags.string({description: 'Also write the image files into this directory, named as img image export names them'}),
    'all-root': Flags.boolean({description: 'Record every file as owned by root (uid and gid 0)'}),
  };

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(Publish);
    const properties: Record<string, string> = {};
    const positional: string[] = [];
    for (const arg of argv as string[]) {
      const i = arg.indexOf('=');
      if (i > 0) properties[arg.slice(0, i).trim()] = arg.slice(i + 1).trim();
      else positional.push(arg);
    }
    if (positional.length > 0) {
      throw new UsageError(`publishing an instance (${positional[0]}) needs img init, which is not available yet; build from a directory with --rootfs DIR`);
    }
    if (!flags.rootfs) throw new UsageError('give --rootfs DIR (the root filesystem to pack)');
    const sde = process.env.SOURCE_DATE_EPOCH;
    if (sde !== undefined && !/^\d+$/.test(sde)) throw new UsageError(`SOURCE_DATE_EPOCH must be a number of seconds, not "${sde}"`);
    const progress = this.progress('Packing');
    const store = await this.openStore();
    const result = await publishImage(store, {
      rootfs: flags.rootfs,
      ...(flags.metadata ? {metadata: flags.metadata} : {}),
      ...(flags.templates ? {templates: flags.templates} : {}),
      ...(flags['stock-templates'] ? {stockTemplates: flags['stock-templates'].split(',').map((s) => s.trim()).filter(Boolean)} : {}),
      ...(sde !== undefined ? {sourceDateEpoch: Number(sde)} : {}),
      properties,
      layout: flags.format,
      compression: flags.compression,
      rootfsFormat: flags['rootfs-format'],
      allRoot: flags['all-root'],
      aliases: flags.alias ?? [],
      public: flags.public,
      ...(flags.output ? {output: flags.output} : {}),
      onProgress: (n) => progress.update(n),
    });
    progress.clear();
    for (const w of result.built.warnings) this.warn2(w);
    const note = result.existed ? ' (already in the store)' : '';
    this.out(`Image published with fingerprint: ${result.image.fingerprint}${note}`);
    if (!this.quiet) for (const f of result.output) process.stderr.write(`Wrote ${f.path} (${formatBytes(f.size)})\n`);
  }
}
