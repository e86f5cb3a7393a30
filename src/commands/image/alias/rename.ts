import {arg, ImgCommand} from '../../../base-command.js';
import {renameAlias} from '../../../lib/store/aliases.js';

export default class AliasRename extends ImgCommand {
  static override summary = 'Rename an image alias';
  static override args = {
    alias: arg({description: '[local:] current name', required: true}),
    newName: arg({name: 'new-name', description: 'new name', required: true}),
  };

  async run(): Promise<void> {
    const {args} = await this.parse(AliasRename);
    const remotes = await this.openRemotes();
    await renameAlias(remotes.store, remotes.localName(args.alias, 'image alias rename'), args.newName);
  }
}
