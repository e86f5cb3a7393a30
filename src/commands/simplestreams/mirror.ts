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
    const words = argv as string[];
    const [{remoteLocation, readFeedAt}, {parseRef}, {mirrorFeed}, {openBlobStore}, {imgHome}, {UsageError}, {formatBytes}, cfg] = await Promise.all([
      import('../../cli/feed-location.js'),
      import('../../lib/remotes/ref.js'),
      import('../../lib/simplestreams/mirror.js'),
      import('../../lib/storage/index.js'),
      import('../../lib/store/paths.js'),
      import('../../lib/errors.js'),
      import('../../render/progress.js'),
      this.openConfig(),
    ]);
    if (words.length < 2) throw new UsageError('give the source (<remote>:[<filter>] or a URL) and the directory of the tree');
    const dir = words.at(-1)!;
    const [first, ...rest] = words.slice(0, -1) as [string, ...string[]];
    const url = /^https?:\/\//i.test(first);
    if (!url && !first.includes(':')) throw new UsageError(`${first}: name the remote to mirror from as <remote>: (e.g. images:)`);
    // The first word always names the remote here, so `feed:os=Alpine` is the remote feed and a filter.
    const ref = parseRef(first);
    const {remote, filters} = url ? {remote: first, filters: rest} : {remote: ref.remote, filters: ref.name === '' ? rest : [ref.name, ...rest]};
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
    if (flags.format === 'json') return this.outJson(result);
    const dry = flags['dry-run'];
    const bytes = result.fetched.reduce((n, f) => n + f.size, 0);
    const {written, removed, kept} = result.change;
    const products = new Set(result.versions.map((v) => `${v.contentId}\0${v.product}`)).size;
    this.out(
      [
        ...(dry ? result.fetched.map((f) => `would fetch ${f.path} (${formatBytes(f.size)})`) : []),
        ...(dry ? removed.map((k) => `would remove ${k}`) : []),
        `${result.versions.length} version(s) of ${products} product(s): ${dry ? 'would fetch' : 'fetched'} ${result.fetched.length} file(s) (${formatBytes(bytes)}), kept ${kept}, ${dry ? 'would write' : 'wrote'} ${written.length}, ${dry ? 'would remove' : 'removed'} ${removed.length}`,
      ].join('\n'),
    );
  }
}
