import {Flags} from '@oclif/core';
import {arg, formatFlag, ImgCommand} from '../../base-command.js';
import {treeFlags, treeOptions} from '../../cli/tree-flags.js';

const {flavor: _flavor, ...writeFlags} = treeFlags;

export default class SimplestreamsPrune extends ImgCommand {
  static override summary = 'Drop old versions from a static simplestreams tree, and orphaned files';
  static override description = `Each product of every products file keeps its newest version and the --retain versions before it (as incus-simplestreams prune --retention counts: --retain 0 keeps only the newest), version keys ordered as strings. The products files are rewritten first, the index after, and the files of the dropped versions are deleted only then; after that, files under the tree's item directories (images/, files/ and the first directory of every item path) that no products file names are removed as orphans. Documents under streams/, index.html and signatures in use are never touched.

A signed tree stays signed only when pruned with --sign-key: its products change, so the old signatures would no longer match them, and they go. With --dry-run nothing changes: it says what would go.`;
  static override args = {dir: arg({description: 'Directory of the tree', required: true})};
  static override flags = {
    ...writeFlags,
    retain: Flags.integer({description: 'Older versions to keep per product, besides the newest', default: 2, min: 0}),
    format: formatFlag('table', ['table', 'json']),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(SimplestreamsPrune);
    const [{pruneTree}, {openBlobStore}, {describePrune}] = await Promise.all([
      import('../../lib/simplestreams/prune.js'),
      import('../../lib/storage/index.js'),
      import('../../render/simplestreams-tree.js'),
    ]);
    const progress = this.progress('Pruning');
    const opts = await treeOptions(flags, progress);
    const result = await pruneTree(openBlobStore(args.dir), {...opts, retain: flags.retain});
    progress.clear();
    if (flags.format === 'json') this.outJson(result);
    else this.out(describePrune(result, flags['dry-run']));
  }
}
