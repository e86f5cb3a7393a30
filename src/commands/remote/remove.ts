import {arg, ImgCommand} from '../../base-command.js';
import {removeRemote} from '../../lib/config/remotes.js';
import {imgHome} from '../../lib/store/paths.js';

export default class RemoteRemove extends ImgCommand {
  static override summary = 'Remove a remote';
  static override description = 'Built-in (static) remotes and the default remote cannot be removed, as in lxc. The copy of its keyring goes with it.';
  static override args = {name: arg({required: true, description: 'Name of the remote'})};

  async run(): Promise<void> {
    const {args} = await this.parse(RemoteRemove);
    await removeRemote(imgHome(), args.name);
  }
}
