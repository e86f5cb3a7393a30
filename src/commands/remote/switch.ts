import {arg, ImgCommand} from '../../base-command.js';
import {switchRemote} from '../../lib/config/remotes.js';
import {imgHome} from '../../lib/store/paths.js';

export default class RemoteSwitch extends ImgCommand {
  static override summary = 'Switch the default remote';
  static override description =
    'The default remote is the one img image list and img image alias list show when no remote is named; an image reference without a remote still means the local store.';
  static override args = {name: arg({required: true, description: 'Name of the remote'})};

  async run(): Promise<void> {
    const {args} = await this.parse(RemoteSwitch);
    await switchRemote(imgHome(), args.name);
  }
}
