import {ImgCommand} from '../../base-command.js';

export default class RemoteGetDefault extends ImgCommand {
  static override summary = 'Show the default remote';
  static override description = 'The remote img image list and img image alias list show when no remote is named.';

  async run(): Promise<void> {
    await this.parse(RemoteGetDefault);
    this.out((await this.openConfig()).defaultRemote);
  }
}
