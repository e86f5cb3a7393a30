import {arg, formatFlag, ImgCommand} from '../../base-command.js';
import {describeChange, treeFlags, treeOptions} from '../../cli/tree-flags.js';

export default class SimplestreamsRemove extends ImgCommand {
  static override summary = 'Remove an image from a static simplestreams tree';
  static override description = `The image (by fingerprint or unique prefix, as the tree's LXD products name it) leaves every flavour's products; its files are deleted once the new index no longer names them. A metadata file another image shares stays. Empty versions and products go.`;
  static override args = {
    dir: arg({description: 'Directory of the tree', required: true}),
    fingerprint: arg({description: 'Fingerprint or unique prefix', required: true}),
  };
  static override flags = {...treeFlags, format: formatFlag('table', ['table', 'json'])};

  async run(): Promise<void> {
    const {args, flags} = await this.parse(SimplestreamsRemove);
    const [{removeImage}, {openBlobStore}] = await Promise.all([import('../../lib/simplestreams/edit.js'), import('../../lib/storage/index.js')]);
    const progress = this.progress('Removing');
    const result = await removeImage(openBlobStore(args.dir), args.fingerprint, await treeOptions(flags, progress));
    progress.clear();
    if (flags.format === 'json') this.outJson(result.change);
    else this.out(describeChange(result, flags['dry-run']));
  }
}
