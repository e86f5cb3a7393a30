import {arg, ImgCommand, formatFlag} from '../../../base-command.js';
import {aliasObject, renderAliasTable} from '../../../render/alias.js';

export default class AliasList extends ImgCommand {
  static override summary = 'List image aliases';
  static override description = 'Filters are substrings of the alias name or of the target fingerprint; an alias is listed when any filter matches (as lxc).';
  static override strict = false;
  static override args = {filters: arg({description: '[remote:] and filters'})};
  static override flags = {format: formatFlag()};

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(AliasList);
    const {source, filters} = await this.listingSource(argv as string[]);
    const wanted = filters.filter((f) => f !== '');
    const all = await source.aliases();
    const aliases = wanted.length === 0 ? all : all.filter((a) => wanted.some((f) => a.name.includes(f) || a.target.includes(f)));
    if (flags.format === 'json') return this.outJson(aliases.map(aliasObject));
    if (flags.format === 'yaml') return this.outYaml(aliases.map(aliasObject));
    process.stdout.write(renderAliasTable(aliases, flags.format as 'table' | 'compact' | 'csv'));
  }
}
