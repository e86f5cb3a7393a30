import {arg, ImgCommand, formatFlag} from '../../../base-command.js';
import {renderTable, type TableFormat} from '../../../render/table.js';

export default class AliasList extends ImgCommand {
  static override summary = 'List image aliases';
  static override description = 'Filters are substrings of the alias name or of the target fingerprint; an alias is listed when any filter matches (as lxc).';
  static override strict = false;
  static override args = {filters: arg({description: '[remote:] and filters'})};
  static override flags = {format: formatFlag()};

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(AliasList);
    const filters = (argv as string[]).map((f) => (f.endsWith(':') ? '' : f.replace(/^local:/, ''))).filter((f) => f !== '');
    const store = await this.openStore();
    const all = await store.listAliases();
    const aliases = filters.length === 0 ? all : all.filter((a) => filters.some((f) => a.name.includes(f) || a.target.includes(f)));
    const objects = aliases.map((a) => ({description: a.description, target: a.target, name: a.name, type: a.type}));
    if (flags.format === 'json') return this.outJson(objects);
    if (flags.format === 'yaml') return await this.outYaml(objects);
    const rows = aliases.map((a) => [a.name, a.target.slice(0, 12), (a.type || 'container').toUpperCase(), a.description]);
    process.stdout.write(renderTable(['ALIAS', 'FINGERPRINT', 'TYPE', 'DESCRIPTION'], rows, flags.format as TableFormat));
  }
}
