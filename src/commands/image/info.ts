import {Args} from '@oclif/core';
import {ImgCommand, formatFlag} from '../../base-command.js';
import {parseRef} from '../../lib/refs.js';
import {toLxdImage} from '../../lib/store/record.js';
import {renderImageInfo} from '../../render/image.js';

export default class ImageInfo extends ImgCommand {
  static override summary = 'Show useful information about an image';
  static override args = {image: Args.string({ignoreStdin: true, description: 'alias, fingerprint or unique fingerprint prefix', required: true})};
  static override flags = {format: formatFlag('table', ['table', 'json', 'yaml'])};

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ImageInfo);
    const store = await this.openStore();
    const image = await store.resolve(parseRef(args.image).name);
    if (flags.format === 'json') this.outJson(toLxdImage(image));
    else if (flags.format === 'yaml') await this.outYaml(toLxdImage(image));
    else process.stdout.write(renderImageInfo(image));
  }
}
