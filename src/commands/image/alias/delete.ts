import {arg, ImgCommand} from '../../../base-command.js';
import {deleteAlias} from '../../../lib/store/aliases.js';

export default class AliasDelete extends ImgCommand {
  static override summary = 'Delete an image alias';
  static override args = {alias: arg({description: '[local:] alias name', required: true})};

  async run(): Promise<void> {
    const {args} = await this.parse(AliasDelete);
    const remotes = await this.openRemotes();
    await deleteAlias(remotes.store, remotes.localName(args.alias, 'image alias delete'));
  }
}
