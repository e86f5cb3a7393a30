import {arg, ImgCommand} from '../../base-command.js';
import {unsetSetting} from '../../lib/config/config.js';
import {imgHome} from '../../lib/store/paths.js';

export default class ConfigUnset extends ImgCommand {
  static override summary = 'Unset a setting (back to its default)';
  static override args = {key: arg({required: true, description: 'Setting'})};

  async run(): Promise<void> {
    const {args} = await this.parse(ConfigUnset);
    await unsetSetting(imgHome(), args.key);
  }
}
