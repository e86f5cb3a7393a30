import {arg, ImgCommand} from '../../../base-command.js';
import {parseRef} from '../../../lib/refs.js';

export default class AliasDelete extends ImgCommand {
  static override summary = 'Delete an image alias';
  static override args = {alias: arg({description: 'alias name', required: true})};

  async run(): Promise<void> {
    const {args} = await this.parse(AliasDelete);
    const store = await this.openStore();
    await store.deleteAlias(parseRef(args.alias).name);
  }
}
