import {arg, ImgCommand, formatFlag} from '../../../base-command.js';
import {parseRef} from '../../../lib/remotes/ref.js';
import {aliasObject, renderAliasTable} from '../../../render/alias.js';

export default class AliasList extends ImgCommand {
  static override summary = 'List image aliases';
  static override description = 'Filters are substrings of the alias name or of the target fingerprint; an alias is listed when any filter matches (as lxc).';
  static override strict = false;
  static override args = {filters: arg({description: '[remote:] and filters'})};
  static override flags = {format: formatFlag()};

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(AliasList);
    const filters = [...(argv as string[])];
    let remote = 'local';
    // As lxc: the first argument may name the remote, alone or glued to a filter.
    if (filters[0]?.includes(':')) {
      const ref = parseRef(filters[0]);
      remote = ref.remote;
      filters[0] = ref.name;
    }
    const wanted = filters.filter((f) => f !== '');
    const all = await (await this.openRemotes()).source(remote).aliases();
    const aliases = wanted.length === 0 ? all : all.filter((a) => wanted.some((f) => a.name.includes(f) || a.target.includes(f)));
    if (flags.format === 'json') return this.outJson(aliases.map(aliasObject));
    if (flags.format === 'yaml') return this.outYaml(aliases.map(aliasObject));
    process.stdout.write(renderAliasTable(aliases, flags.format as 'table' | 'compact' | 'csv'));
  }
}
