import {arg, ImgCommand} from '../../base-command.js';
import {UserError} from '../../lib/errors.js';

export default class ImageGetProperty extends ImgCommand {
  static override summary = 'Get an image property';
  static override args = {
    image: arg({description: '[remote:] alias, fingerprint or unique fingerprint prefix', required: true}),
    key: arg({description: 'property name', required: true}),
  };

  async run(): Promise<void> {
    const {args} = await this.parse(ImageGetProperty);
    const {image} = await (await this.openRemotes()).resolve(args.image);
    const value = image.properties[args.key];
    if (value === undefined) throw new UserError('Property not found', {code: 'PropertyNotFound'});
    this.out(value);
  }
}
