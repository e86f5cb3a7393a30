import {ImgCommand, formatFlag} from '../../base-command.js';
import {remotesJson, remotesYaml, renderRemoteTable} from '../../render/remote.js';

export default class RemoteList extends ImgCommand {
  static override summary = 'List the remotes';
  static override description = 'As lxc remote list: the default remote is marked (current). STATIC remotes are built in and cannot be changed.';
  static override flags = {format: formatFlag()};

  async run(): Promise<void> {
    const {flags} = await this.parse(RemoteList);
    const cfg = await this.openConfig();
    if (flags.format === 'json') return this.outJson(remotesJson(cfg));
    if (flags.format === 'yaml') return this.outYaml(remotesYaml(cfg));
    process.stdout.write(renderRemoteTable(cfg, flags.format));
  }
}
