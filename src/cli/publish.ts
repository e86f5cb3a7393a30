import {Flags, type Interfaces} from '@oclif/core';
import {WRITE_COMPRESSIONS} from '../lib/archive/codecs.js';
import {UsageError} from '../lib/errors.js';
import type {PublishOptions} from '../lib/store/publish.js';
import {splitProperties} from './properties.js';

/** `img publish`'s flags, as lxc publish and incus name them (--format is the layout, as in incus). */
export const publishFlags = {
  rootfs: Flags.string({description: 'Root filesystem directory to pack'}),
  metadata: Flags.string({description: 'metadata.yaml to use'}),
  templates: Flags.string({description: "Directory of template files (the image's templates/)"}),
  'stock-templates': Flags.string({description: "Add img's stock templates: hostname, hosts, cloud-init (comma-separated)"}),
  alias: Flags.string({description: 'New alias to define for the image', multiple: true, multipleNonGreedy: true}),
  compression: Flags.option({description: 'Compression (default: the images.compression_algorithm setting, gzip unless set)', options: WRITE_COMPRESSIONS})(),
  format: Flags.option({description: 'Image layout', options: ['unified', 'split'] as const, default: 'unified'})(),
  'rootfs-format': Flags.option({description: 'Root file of a split image', options: ['tar', 'squashfs'] as const, default: 'tar'})(),
  public: Flags.boolean({description: 'Make the image public'}),
  output: Flags.string({description: 'Also write the image files into this directory, named as img image export names them'}),
  'all-root': Flags.boolean({description: 'Record every file as owned by root (uid and gid 0)'}),
  strict: Flags.boolean({description: 'Fail on what would otherwise be a warning (a template file metadata.yaml names but the image lacks)'}),
};

/** The library's options from publish's flags, arguments and SOURCE_DATE_EPOCH; refuses what cannot be built. */
export function publishOptions(flags: Interfaces.InferredFlags<typeof publishFlags>, argv: readonly string[], env: NodeJS.ProcessEnv): PublishOptions {
  const {properties, rest} = splitProperties(argv);
  if (rest.length > 0)
    throw new UsageError(`publishing an instance (${rest[0]}) needs img init, which is not available yet; build from a directory with --rootfs DIR`);
  if (!flags.rootfs) throw new UsageError('give --rootfs DIR (the root filesystem to pack)');
  const sde = env.SOURCE_DATE_EPOCH;
  if (sde !== undefined && !/^\d+$/.test(sde)) throw new UsageError(`SOURCE_DATE_EPOCH must be a number of seconds, not "${sde}"`);
  return {
    rootfs: flags.rootfs,
    ...(flags.metadata ? {metadata: flags.metadata} : {}),
    ...(flags.templates ? {templates: flags.templates} : {}),
    ...(flags['stock-templates']
      ? {
          stockTemplates: flags['stock-templates']
            .split(',')
            .map((s) => s.trim())
            .filter(Boolean),
        }
      : {}),
    ...(sde !== undefined ? {sourceDateEpoch: Number(sde)} : {}),
    ...(flags.output ? {output: flags.output} : {}),
    properties,
    layout: flags.format,
    compression: flags.compression ?? 'gzip',
    rootfsFormat: flags['rootfs-format'],
    allRoot: flags['all-root'],
    aliases: flags.alias ?? [],
    public: flags.public,
    strict: flags.strict,
  };
}
