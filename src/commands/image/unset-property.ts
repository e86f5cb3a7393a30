import {arg, ImgCommand} from '../../base-command.js';
import {parseRef} from '../../lib/refs.js';

export default class ImageUnsetProperty extends ImgCommand {
  static override summary = 'Unset an image property';
  static override args = {
    image: arg({description: 'alias, fingerprint or unique fingerprint prefix', required: true}),
    key: arg({description: 'property name', required: true}),
  };

  async run(): Promise<void> {
    const {args} = await this.parse(ImageUnsetProperty);
    const store = await this.openStore();
    const image = await store.resolve(parseRef(args.image).name);
    await store.updateRecord(image.fingerprint, (r) => {
      delete r.properties[args.key];
      return r;
    });
  }
}
