import {arg, ImgCommand} from '../../base-command.js';
import {checkSettingKey, SETTING_KEYS} from '../../lib/config/settings.js';

export default class ConfigGet extends ImgCommand {
  static override summary = 'Show the value of a setting';
  static override description = `The value in effect: as set, else the default (lxc prints an empty line for a key that is not set). Keys: ${SETTING_KEYS.join(', ')}.`;
  static override examples = ['<%= config.bin %> config get images.auto_update_interval'];
  static override args = {key: arg({required: true, description: 'Setting'})};

  async run(): Promise<void> {
    const {args} = await this.parse(ConfigGet);
    const key = checkSettingKey(args.key);
    this.out(String((await this.openConfig()).setting(key)));
  }
}
