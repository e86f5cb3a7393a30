import {arg, ImgCommand} from '../../../base-command.js';
import {parseRef} from '../../../lib/refs.js';

export default class AliasRename extends ImgCommand {
  static override summary = 'Rename an image alias';
  static override args = {
    alias: arg({description: 'current name', required: true}),
    newName: arg({name: 'new-name', description: 'new name', required: true}),
  };

  async run(): Promise<void> {
    const {args} = await this.parse(AliasRename);
    const store = await this.openStore();
    await store.renameAlias(parseRef(args.alias).name, args.newName);
  }
}
