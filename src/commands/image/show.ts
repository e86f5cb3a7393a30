import {arg, ImgCommand, formatFlag} from '../../base-command.js';
import {imagePut} from '../../lib/image/api.js';

export default class ImageShow extends ImgCommand {
  static override summary = 'Show the editable fields of an image as YAML';
  static override description = 'auto_update, properties, public, expires_at and profiles: what img image edit changes.';
  static override args = {image: arg({description: '[remote:] alias, fingerprint or unique fingerprint prefix', required: true})};
  static override flags = {format: formatFlag('yaml', ['yaml', 'json'])};

  async run(): Promise<void> {
    const {args, flags} = await this.parse(ImageShow);
    const put = imagePut((await (await this.openRemotes()).resolve(args.image)).image);
    if (flags.format === 'json') this.outJson(put);
    else await this.outYaml(put);
  }
}
