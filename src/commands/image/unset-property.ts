import {arg, ImgCommand} from '../../base-command.js';

export default class ImageUnsetProperty extends ImgCommand {
  static override summary = 'Unset an image property';
  static override args = {
    image: arg({description: 'alias, fingerprint or unique fingerprint prefix', required: true}),
    key: arg({description: 'property name', required: true}),
  };

  async run(): Promise<void> {
    const {args} = await this.parse(ImageUnsetProperty);
    const remotes = await this.openRemotes();
    const {image} = await remotes.resolve(args.image, {localOnly: 'image unset-property'});
    await remotes.store.updateRecord(image.fingerprint, (r) => {
      delete r.properties[args.key];
      return r;
    });
  }
}
