import {arg, ImgCommand} from '../../base-command.js';

export default class ImageSetProperty extends ImgCommand {
  static override summary = 'Set an image property';
  static override description = 'An empty value removes the property, as in lxc.';
  static override args = {
    image: arg({description: 'alias, fingerprint or unique fingerprint prefix', required: true}),
    key: arg({description: 'property name', required: true}),
    value: arg({description: 'property value', required: true}),
  };

  async run(): Promise<void> {
    const {args} = await this.parse(ImageSetProperty);
    const remotes = await this.openRemotes();
    const {image} = await remotes.resolve(args.image, {localOnly: 'image set-property'});
    await remotes.store.updateRecord(image.fingerprint, (r) => {
      if (args.value === '') delete r.properties[args.key];
      else r.properties[args.key] = args.value;
      return r;
    });
  }
}
