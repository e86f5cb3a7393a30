import {Flags} from '@oclif/core';
import {join} from 'node:path';
import {arg, formatFlag, ImgCommand} from '../../base-command.js';
import {describeChange, treeFlags, treeOptions} from '../../cli/tree-flags.js';

export default class SimplestreamsAdd extends ImgCommand {
  static override summary = 'Add an image version to a static simplestreams tree';
  static override description = `The image is given as its files: a unified tarball, or a metadata tarball and a root (squashfs, tarball or qcow2). It becomes a new version of product <os>:<release>:<arch>:<variant> (from its metadata.yaml properties), its files under images/. Files already read are not hashed again while their size and mtime are unchanged.`;
  static override strict = false;
  static override args = {dir: arg({description: 'Directory of the tree', required: true}), files: arg({description: 'The image files', required: true})};
  static override flags = {
    ...treeFlags,
    alias: Flags.string({description: 'Alias of the product', multiple: true}),
    format: formatFlag('table', ['table', 'json']),
  };

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(SimplestreamsAdd);
    const [dir, ...files] = argv as string[];
    const [{addImage}, {openBlobStore}, {imgHome}] = await Promise.all([
      import('../../lib/simplestreams/edit.js'),
      import('../../lib/storage/index.js'),
      import('../../lib/store/paths.js'),
    ]);
    const progress = this.progress('Adding');
    const opts = await treeOptions(flags, progress);
    const hashCache = join(imgHome(), 'cache', 'hashes.json');
    const result = await addImage(openBlobStore(dir!), files, {...opts, aliases: flags.alias ?? [], hashCache});
    progress.clear();
    if (flags.format === 'json') this.outJson({...result.change, images: result.images.map((i) => i.fingerprint)});
    else this.out(`${result.images.map((i) => `${i.product} ${i.version} ${i.fingerprint}`).join('\n')}\n${describeChange(result, flags['dry-run'])}`);
  }
}
