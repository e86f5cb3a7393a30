import {Flags} from '@oclif/core';
import {join} from 'node:path';
import {arg, formatFlag, ImgCommand} from '../../base-command.js';
import {treeFlags, treeOptions} from '../../cli/tree-flags.js';

const {flavor: _flavor, ...writeFlags} = treeFlags;

export default class SimplestreamsMirror extends ImgCommand {
  static override summary = 'Copy (a filtered part of) a remote simplestreams feed into a static tree';
  static override description = `The source is a configured simplestreams remote ("images:", read through its keyring when it has one) or a feed's base URL, followed by filters as img image list takes them (os=Alpine, arch=amd64, type=container, a substring of an alias or product name). On an LXD products file the filters pick images, and a version keeps only the items of the images that match; on other datatypes they are matched against each version's product and version fields. --max N keeps the newest N versions of each product, as sstream-mirror's --max.

Every file is downloaded at the path the source gives it, checked by size and sha256 as it streams; the tree is changed only once every download has passed (files, then products, then the index), so a file the source serves wrong fails the mirror and leaves the tree as it was. Files the tree already holds with the same sha256 are not fetched again; what the tree held and the mirror no longer selects goes, after the new index is in place. A killed mirror resumes its downloads ($IMG_HOME/tmp/mirror).`;
  static override strict = false;
  static override args = {
    source: arg({description: '<remote>:[<filter>] or a feed URL', required: true}),
    more: arg({description: 'More filters, then the directory of the tree'}),
  };
  static override flags = {
    ...writeFlags,
    max: Flags.integer({description: 'Newest versions to mirror per product', min: 1}),
    format: formatFlag('table', ['table', 'json']),
  };

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(SimplestreamsMirror);
    const [{remoteLocation, mirrorArgs, readFeedAt}, {mirrorFeed}, {openBlobStore}, {imgHome}, {describeMirror}, cfg] = await Promise.all([
      import('../../cli/feed-location.js'),
      import('../../lib/simplestreams/mirror.js'),
      import('../../lib/storage/index.js'),
      import('../../lib/store/paths.js'),
      import('../../render/simplestreams-tree.js'),
      this.openConfig(),
    ]);
    const {remote, filters, dir} = mirrorArgs(argv as string[]);
    const home = imgHome();
    const feed = await readFeedAt(remoteLocation(remote, cfg), cfg, {home, maxAgeMs: 0, onWarning: (w) => this.warning(w)});
    const progress = this.progress('Mirroring');
    const opts = await treeOptions(flags, progress);
    const result = await mirrorFeed(feed, openBlobStore(dir), {
      ...opts,
      filters,
      ...(flags.max === undefined ? {} : {max: flags.max}),
      workDir: join(home, 'tmp', 'mirror'),
    });
    progress.clear();
    if (flags.format === 'json') this.outJson(result);
    else this.out(describeMirror(result, flags['dry-run']));
  }
}
