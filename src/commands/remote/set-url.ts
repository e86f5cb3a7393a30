import {arg, ImgCommand} from '../../base-command.js';
import {setRemoteUrl} from '../../lib/config/remotes.js';
import {imgHome} from '../../lib/store/paths.js';

export default class RemoteSetUrl extends ImgCommand {
  static override summary = 'Set the URL of a remote';
  static override description = 'The URL is checked as remote add checks it (lxc takes any text). Built-in (static) remotes cannot be changed.';
  static override args = {
    name: arg({required: true, description: 'Name of the remote'}),
    url: arg({required: true, description: 'New URL'}),
  };

  async run(): Promise<void> {
    const {args} = await this.parse(RemoteSetUrl);
    await setRemoteUrl(imgHome(), args.name, args.url);
  }
}
