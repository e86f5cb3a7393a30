import {arg, formatFlag, ImgCommand} from '../../base-command.js';
import {describeChange, treeFlags, treeOptions} from '../../cli/tree-flags.js';
import {FLAVORS} from '../../lib/simplestreams/render.js';

export default class SimplestreamsExport extends ImgCommand {
  static override summary = "Write the store's public images as a static simplestreams tree";
  static override description = `The tree holds exactly the public images that match the filters (as img image list filters them): what it held before and no longer matches is removed, after the new index is in place. New files are written first, the products files next, the index last, each by atomic rename, so a reader never sees an index naming a missing file. Re-exporting an unchanged store changes no byte.

Flavours:
${[...FLAVORS.values()].map((f) => `  ${f.summary}`).join('\n')}`;
  static override strict = false;
  static override args = {dir: arg({description: 'Directory of the tree', required: true}), filter: arg({description: 'Filters, as img image list'})};
  static override flags = {...treeFlags, format: formatFlag('table', ['table', 'json'])};

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(SimplestreamsExport);
    const [dir, ...filters] = argv as string[];
    const [{exportStore}, {openBlobStore}] = await Promise.all([import('../../lib/simplestreams/from-store.js'), import('../../lib/storage/index.js')]);
    const progress = this.progress('Exporting');
    const opts = await treeOptions(flags, progress);
    const result = await exportStore(await this.openStore(), openBlobStore(dir!), {...opts, filters});
    progress.clear();
    for (const r of result.refused) this.warn(`${r.fingerprint.slice(0, 12)} left out of the ${r.flavor} products: ${r.reason}`);
    if (flags.format === 'json') this.outJson({...result.change, images: result.images.map((i) => i.fingerprint), refused: result.refused});
    else this.out(describeChange(result, flags['dry-run']));
  }
}
