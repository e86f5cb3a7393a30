import {Flags} from '@oclif/core';
import {arg, ImgCommand, formatFlag} from '../../base-command.js';
import {UsageError} from '../../lib/errors.js';
import {toLxdImage} from '../../lib/image/api.js';
import {parseRef} from '../../lib/remotes/ref.js';

export default class ImageCopy extends ImgCommand {
  static override summary = 'Copy an image from a remote into the local store';
  static override description = `Every file is checked against the remote's size and sha256 while it downloads, and the whole against the fingerprint; nothing reaches the store unless all of it holds. An interrupted copy resumes where it stopped when the server allows ranges.

A copy by alias records its source (server, protocol, alias), so that with --auto-update img image refresh keeps it current.`;
  static override examples = [
    '<%= config.bin %> image copy images:debian/12 local: --alias debian --auto-update',
    '<%= config.bin %> image copy images:alpine/edge --vm',
  ];
  static override args = {
    image: arg({description: '<remote>:<alias, fingerprint or prefix>', required: true}),
    target: arg({description: 'local: (the only target)', default: 'local:'}),
  };
  static override flags = {
    alias: Flags.string({description: 'New alias to define for the image', multiple: true, multipleNonGreedy: true}),
    'copy-aliases': Flags.boolean({description: 'Also create the aliases the remote gives the image'}),
    'auto-update': Flags.boolean({description: 'Keep the image up to date (img image refresh)'}),
    public: Flags.boolean({description: 'Make the image public'}),
    vm: Flags.boolean({description: 'Copy the virtual-machine image of that alias'}),
    format: formatFlag('table', ['table', 'json', 'yaml']),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ImageCopy);
    const {remote, name} = parseRef(args.image);
    if (args.target.replace(/:$/, '') !== 'local') throw new UsageError(`img copies images into the local store only (local:), not ${args.target}`);
    const remotes = await this.openRemotes();
    const {copyImage} = await import('../../lib/remotes/copy.js');
    const progress = this.progress('Copying the image');
    const {image, downloaded} = await copyImage(remotes.store, await remotes.source(remote), name, {
      aliases: flags.alias ?? [],
      copyAliases: flags['copy-aliases'],
      autoUpdate: flags['auto-update'],
      public: flags.public,
      ...(flags.vm ? {type: 'virtual-machine' as const} : {}),
      onProgress: (done, total) => progress.update(done, total),
    });
    progress.clear();
    if (flags.format === 'json') return this.outJson(toLxdImage(image));
    if (flags.format === 'yaml') return this.outYaml(toLxdImage(image));
    this.out(downloaded ? `Image copied successfully: ${image.fingerprint}` : `Image already in the store: ${image.fingerprint}`);
  }
}
