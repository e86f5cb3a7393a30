import {ImgCommand, formatFlag} from '../../base-command.js';

export default class ConfigShow extends ImgCommand {
  static override summary = 'Show the settings that are set';
  static override description =
    'As lxc config show shows the server\'s config: the keys set, under "config:"; a key not set has its default (img config get shows it).';
  static override flags = {format: formatFlag('yaml', ['yaml', 'json'])};

  async run(): Promise<void> {
    const {flags} = await this.parse(ConfigShow);
    const shown = {config: (await this.openConfig()).changedSettings()};
    if (flags.format === 'json') return this.outJson(shown);
    await this.outYaml(shown);
  }
}
