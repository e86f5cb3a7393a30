import {arg, ImgCommand} from '../../base-command.js';
import {setSetting} from '../../lib/config/config.js';
import {SETTING_KEYS, SETTINGS} from '../../lib/config/settings.js';
import {imgHome} from '../../lib/store/paths.js';

export default class ConfigSet extends ImgCommand {
  static override summary = 'Set a setting';
  static override description = `Settings are LXD's server keys of the same names; an empty value unsets the key, as in LXD.\n\n${SETTING_KEYS.map(
    (k) => `${k}: ${SETTINGS[k].description} (${SETTINGS[k].expected}; default ${String(SETTINGS[k].default)})`,
  ).join('\n')}`;
  static override examples = ['<%= config.bin %> config set images.compression_algorithm xz', '<%= config.bin %> config set images.auto_update_interval 0'];
  static override args = {
    key: arg({required: true, description: 'Setting'}),
    value: arg({required: true, description: 'Value'}),
  };

  async run(): Promise<void> {
    const {args} = await this.parse(ConfigSet);
    await setSetting(imgHome(), args.key, args.value);
  }
}
