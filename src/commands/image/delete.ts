import {arg, ImgCommand} from '../../base-command.js';

export default class ImageDelete extends ImgCommand {
  static override summary = 'Delete images (and their aliases)';
  static override description = 'Every image named is resolved first: if one is not found, nothing is deleted.';
  static override strict = false;
  static override args = {image: arg({description: 'alias, fingerprint or unique fingerprint prefix (one or more)', required: true})};

  async run(): Promise<void> {
    const {argv} = await this.parse(ImageDelete);
    const remotes = await this.openRemotes();
    const images = [];
    for (const ref of argv as string[]) images.push((await remotes.resolve(ref, {localOnly: 'image delete'})).image);
    for (const fp of new Set(images.map((i) => i.fingerprint))) await remotes.store.deleteImage(fp);
  }
}
