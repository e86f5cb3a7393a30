import {arg, formatFlag, ImgCommand} from '../../base-command.js';

export default class SimplestreamsList extends ImgCommand {
  static override summary = 'List the products and versions of any simplestreams feed';
  static override description = `One row per version of every product of every products file the index names, whatever its datatype (LXD and OpenStack image-downloads, image-ids, MAAS boot resources): its products file (content id and datatype), the ftypes of its items, and the size of the files they name.

The feed is a tree directory, the base URL of a feed (https://images.example.org/, whose streams/v1/index.json is the index), or a configured simplestreams remote given as "name:" (read through its keyring when it has one, and through the cache of remote indexes).`;
  static override args = {feed: arg({description: 'Tree directory, feed URL or remote (name:)', required: true})};
  static override flags = {format: formatFlag('table', ['table', 'csv', 'json'])};

  async run(): Promise<void> {
    const {args, flags} = await this.parse(SimplestreamsList);
    const [{feedLocation, readFeedAt}, {feedRows}, {renderFeedRows}, {imgHome}, cfg] = await Promise.all([
      import('../../cli/feed-location.js'),
      import('../../lib/simplestreams/list.js'),
      import('../../render/simplestreams-tree.js'),
      import('../../lib/store/paths.js'),
      this.openConfig(),
    ]);
    const feed = await readFeedAt(feedLocation(args.feed, cfg), cfg, {home: imgHome(), onWarning: (w) => this.warning(w)});
    const rows = feedRows(feed);
    if (flags.format === 'json') this.outJson(rows);
    else process.stdout.write(renderFeedRows(rows, flags.format as 'table' | 'csv'));
  }
}
