import {Flags} from '@oclif/core';
import {arg, ImgCommand} from '../../../base-command.js';
import {createAlias} from '../../../lib/store/aliases.js';

export default class AliasCreate extends ImgCommand {
  static override summary = 'Create an alias for an image';
  static override description = 'The target is a fingerprint or a unique fingerprint prefix (not another alias), as in lxc.';
  static override args = {
    alias: arg({description: '[local:] alias name', required: true}),
    fingerprint: arg({description: 'fingerprint or unique prefix', required: true}),
  };
  static override flags = {description: Flags.string({description: 'Alias description', default: ''})};

  async run(): Promise<void> {
    const {args, flags} = await this.parse(AliasCreate);
    const remotes = await this.openRemotes();
    await createAlias(remotes.store, remotes.localName(args.alias, 'image alias create'), args.fingerprint, flags.description);
  }
}
