import {arg, ImgCommand} from '../../base-command.js';
import {renameRemote} from '../../lib/config/remotes.js';
import {imgHome} from '../../lib/store/paths.js';

export default class RemoteRename extends ImgCommand {
  static override summary = 'Rename a remote';
  static override description = 'Built-in (static) remotes cannot be renamed. Renaming the default remote keeps it the default, as in lxc.';
  static override args = {
    old: arg({required: true, description: 'Current name'}),
    new: arg({required: true, description: 'New name'}),
  };

  async run(): Promise<void> {
    const {args} = await this.parse(RemoteRename);
    await renameRemote(imgHome(), args.old, args.new);
  }
}
