import {Args} from '@oclif/core';
import {ImgCommand} from '../../../base-command.js';
import {parseRef} from '../../../lib/refs.js';

export default class AliasDelete extends ImgCommand {
  static override summary = 'Delete an image alias';
  static override args = {alias: Args.string({ignoreStdin: true, description: 'alias name', required: true})};

  async run(): Promise<void> {
    const {args} = await this.parse(AliasDelete);
    const store = await this.openStore();
    await store.deleteAlias(parseRef(args.alias).name);
  }
}
