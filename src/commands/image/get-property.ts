import {arg, ImgCommand} from '../../base-command.js';
import {UserError} from '../../lib/errors.js';
import {parseRef} from '../../lib/refs.js';

export default class ImageGetProperty extends ImgCommand {
  static override summary = 'Get an image property';
  static override args = {
    image: arg({description: 'alias, fingerprint or unique fingerprint prefix', required: true}),
    key: arg({description: 'property name', required: true}),
  };

  async run(): Promise<void> {
    const {args} = await this.parse(ImageGetProperty);
    const store = await this.openStore();
    const image = await store.resolve(parseRef(args.image).name);
    const value = image.properties[args.key];
    if (value === undefined) throw new UserError('Property not found', {code: 'PropertyNotFound'});
    this.out(value);
  }
}
