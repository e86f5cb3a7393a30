import {Flags} from '@oclif/core';
import {arg, ImgCommand, formatFlag} from '../../base-command.js';

export default class ImageRefresh extends ImgCommand {
  static override summary = 'Bring auto-update images up to date with their source';
  static override description = `For each image (all auto-update images when none is named), the alias it was copied by is resolved again on its remote; when it names a new image, that is downloaded, the aliases and the source move onto it and the old image is removed. One line per image says what happened and why.

--due checks only images whose last check is older than images.auto_update_interval hours (default 6): run it from cron or a systemd timer and img does what LXD's daemon does on its own. Exits 1 when a source could not be checked.`;
  static override examples = [
    '<%= config.bin %> image refresh',
    '<%= config.bin %> image refresh debian --dry-run',
    '<%= config.bin %> image refresh --due --quiet',
  ];
  static override strict = false;
  static override args = {images: arg({description: 'images to check (alias, fingerprint or prefix)'})};
  static override flags = {
    due: Flags.boolean({description: 'Only images whose last check is older than images.auto_update_interval hours'}),
    'dry-run': Flags.boolean({description: 'Say what would be refreshed; change nothing'}),
    format: formatFlag('table', ['table', 'json', 'yaml']),
  };

  async run(): Promise<void> {
    const {argv, flags} = await this.parse(ImageRefresh);
    const config = await this.openConfig();
    const remotes = await this.openRemotes({indexTtlMs: 0, useStaleIndex: false}, config);
    const images =
      argv.length === 0
        ? undefined
        : await Promise.all((argv as string[]).map(async (ref) => (await remotes.resolve(ref, {localOnly: 'image refresh'})).image));
    const {refreshImages} = await import('../../lib/remotes/refresh.js');
    const progress = this.progress('Refreshing');
    const results = await refreshImages(remotes, images, {
      due: flags.due,
      dryRun: flags['dry-run'],
      intervalHours: config.setting('images.auto_update_interval'),
      onImage: (i) => progress.phase(`Refreshing ${i.aliases[0]?.name ?? i.fingerprint.slice(0, 12)}`),
      onProgress: (done, total) => progress.update(done, total),
    });
    progress.clear();
    if (flags.format === 'json') this.outJson(results);
    else if (flags.format === 'yaml') await this.outYaml(results);
    else this.out(results.length === 0 ? 'No auto-update images' : results.map((r) => r.message).join('\n'));
    if (results.some((r) => r.status === 'unreachable' || r.status === 'failed')) this.exit(1);
  }
}
