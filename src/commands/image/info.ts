import {Flags} from '@oclif/core';
import {arg, ImgCommand, formatFlag} from '../../base-command.js';
import {toLxdImage} from '../../lib/image/api.js';
import {ensureDigests} from '../../lib/store/digests.js';
import {renderImageInfo} from '../../render/image.js';

export default class ImageInfo extends ImgCommand {
  static override summary = 'Show useful information about an image';
  static override args = {image: arg({description: '[remote:] alias, fingerprint or unique fingerprint prefix', required: true})};
  static override description = 'With --digests, also the sha256, sha1 and md5 of each file (computed once, on first use, and kept).';
  static override flags = {
    format: formatFlag('table', ['table', 'json', 'yaml']),
    digests: Flags.boolean({description: "Also show each file's sha256, sha1 and md5"}),
    vm: Flags.boolean({description: 'The virtual-machine image of that alias'}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ImageInfo);
    const config = await this.openConfig();
    const remotes = await this.openRemotes({}, config);
    let {image} = await remotes.resolve(args.image, {
      ...(flags.digests ? {localOnly: 'image info --digests'} : {}),
      ...(flags.vm ? {type: 'virtual-machine' as const} : {}),
    });
    if (flags.digests) {
      const progress = this.progress('Hashing');
      let done = 0;
      image = await ensureDigests(remotes.store, image.fingerprint, (n) => progress.update((done += n), image.size));
      progress.clear();
    }
    if (flags.format === 'json') this.outJson(toLxdImage(image));
    else if (flags.format === 'yaml') await this.outYaml(toLxdImage(image));
    else {
      const {nextCheckDue} = await import('../../lib/remotes/refresh.js');
      const nextCheck = nextCheckDue(image, config.setting('images.auto_update_interval'));
      process.stdout.write(renderImageInfo(image, {files: flags.digests, ...(nextCheck ? {nextCheck} : {})}));
    }
  }
}
