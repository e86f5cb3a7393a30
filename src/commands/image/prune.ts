import {Flags} from '@oclif/core';
import {ImgCommand, formatFlag} from '../../base-command.js';

export default class ImagePrune extends ImgCommand {
  static override summary = 'Remove cached images that have not been used for a while';
  static override description = `Cached images are those img downloaded on its own (for img init remote:alias), never those copied or imported by hand. One unused for longer than images.remote_cache_expiry days (default 10; 0 keeps them) is removed, as LXD's daily task does. With --expired, images whose expires_at has passed go too, cached or not.`;
  static override examples = ['<%= config.bin %> image prune --dry-run', '<%= config.bin %> image prune --expired'];
  static override flags = {
    expired: Flags.boolean({description: 'Also remove images whose expiry date has passed'}),
    'dry-run': Flags.boolean({description: 'List what would be removed; change nothing'}),
    format: formatFlag('table', ['table', 'json', 'yaml']),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(ImagePrune);
    const [store, config] = await Promise.all([this.openStore(), this.openConfig()]);
    const {pruneImages} = await import('../../lib/store/prune.js');
    const results = await pruneImages(store, {expiryDays: config.setting('images.remote_cache_expiry'), expired: flags.expired, dryRun: flags['dry-run']});
    if (flags.format === 'json') return this.outJson(results);
    if (flags.format === 'yaml') return this.outYaml(results);
    const verb = flags['dry-run'] ? 'Would remove' : 'Removed';
    this.out(results.length === 0 ? 'Nothing to prune' : results.map((r) => `${verb} ${r.fingerprint} (${r.message})`).join('\n'));
  }
}
