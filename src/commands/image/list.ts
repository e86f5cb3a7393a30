import {Flags} from '@oclif/core';
import {arg, ImgCommand, formatFlag} from '../../base-command.js';
import {toLxdImage} from '../../lib/image/api.js';
import {imageMatches} from '../../lib/image/filter.js';
import {DEFAULT_COLUMNS, parseColumns, renderImageTable} from '../../render/image.js';

export default class ImageList extends ImgCommand {
  static override summary = 'List images';
  static override description = `Filters (all must match): a bare word matches aliases and fingerprints as a substring; key=value matches properties (os=ubuntu, the key by prefix, the value as an anchored regular expression) and fields (architecture=x86_64, type=virtual-machine, public=true, cached=true).

Columns (-c): l shortest alias, L all aliases, f fingerprint (12 characters), F full fingerprint, p public, d description, a architecture, t type, s size, u upload date. Default: ${DEFAULT_COLUMNS}.`;
  static override examples = ['<%= config.bin %> image list', '<%= config.bin %> image list os=Ubuntu -c lfd', '<%= config.bin %> image list --format json'];
  static override strict = false;
  static override args = {filters: arg({description: '[remote:] and filters'})};
  static override flags = {
    columns: Flags.string({char: 'c', description: 'Columns', default: DEFAULT_COLUMNS}),
    format: formatFlag(),
  };

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(ImageList);
    const columns = parseColumns(flags.columns);
    const {source, filters} = await this.listingSource(argv as string[]);
    const images = (await source.list()).filter((i) => imageMatches(i, filters));
    if (flags.format === 'json') return this.outJson(images.map(toLxdImage));
    if (flags.format === 'yaml') return this.outYaml(images.map(toLxdImage));
    process.stdout.write(renderImageTable(images, columns, flags.format as 'table' | 'compact' | 'csv'));
  }
}
