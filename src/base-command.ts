import {Args, Command, Errors, Flags, type Interfaces} from '@oclif/core';
import type {ErrorCode} from './lib/error-codes.js';
import {isUserError} from './lib/errors.js';
import type {ImgConfig} from './lib/config/config.js';
import type {Remotes, RemotesOptions} from './lib/remotes/index.js';
import type {Source} from './lib/remotes/source.js';
import type {Store} from './lib/store/store.js';
import type {Warning} from './lib/warn.js';
import {Progress} from './render/progress.js';
import {toYaml} from './render/yaml.js';

export type OutputFormat = 'table' | 'compact' | 'csv' | 'json' | 'yaml';

/**
 * A string argument. oclif reads stdin for an argument given as `-` unless told not to; img's
 * commands read stdin themselves (import -, edit), so none of their arguments may let oclif do so.
 */
// Typed as Args.string itself, whose overloads make a `required` argument a plain string.
export const arg = ((opts: Parameters<typeof Args.string>[0] = {}) => Args.string({...opts, ignoreStdin: true})) as typeof Args.string;

/** `--format` for listings and shows, with lxc's choices. */
export const formatFlag = (defaultFormat: OutputFormat = 'table', options: OutputFormat[] = ['table', 'compact', 'csv', 'json', 'yaml']) =>
  Flags.option({description: 'Output format', options, default: defaultFormat})();

/**
 * What every img command shares: --debug and --quiet, the store (with a notice on a terminal
 * when another img process holds its lock), progress lines, and one error policy: an expected
 * error prints `Error: <message>` (plus a JSON object with --format json) and exits with its
 * status; anything else is a bug and says how to see its stack.
 */
export abstract class ImgCommand extends Command {
  static override baseFlags = {
    debug: Flags.boolean({description: 'Show stack traces of errors', helpGroup: 'GLOBAL'}),
    quiet: Flags.boolean({char: 'q', description: "Don't show progress information", helpGroup: 'GLOBAL'}),
  };

  protected get quiet(): boolean {
    return this.argv.includes('--quiet') || this.argv.includes('-q');
  }

  // Loaded on use: commands such as `image fingerprint` never touch the store, and start faster.
  protected async openStore(): Promise<Store> {
    const {Store} = await import('./lib/store/store.js');
    const notice = Progress.forTerminal('', this.quiet);
    return new Store({onLockWait: () => notice.note('Waiting for another img process to release the store lock…')});
  }

  /** `$IMG_HOME/config.yml`: remotes and settings. */
  protected async openConfig(): Promise<ImgConfig> {
    const [{loadConfig}, {imgHome}] = await Promise.all([import('./lib/config/config.js'), import('./lib/store/paths.js')]);
    return loadConfig(imgHome());
  }

  /** The remotes, for resolving `[<remote>:]<image>` (Remotes.resolve is the one way commands do), as config.yml has them. */
  protected async openRemotes(opts: RemotesOptions = {}, cfg?: ImgConfig): Promise<Remotes> {
    const [{Remotes}, store, config] = await Promise.all([import('./lib/remotes/index.js'), this.openStore(), cfg ?? this.openConfig()]);
    const indexTtlMs = config.setting('images.remote_index_ttl') * 1000;
    return new Remotes(store, config.remotes(), {indexTtlMs, onWarning: (w) => this.warning(w), ...opts});
  }

  /**
   * The source and filters of a listing's arguments: without a remote named, the default remote
   * (`img remote switch`), as `lxc image list` lists the default remote's images.
   */
  protected async listingSource(args: readonly string[]): Promise<{source: Source; filters: string[]}> {
    const [{remoteAndFilters}, cfg] = await Promise.all([import('./lib/remotes/ref.js'), this.openConfig()]);
    const {remote, filters} = remoteAndFilters(args, cfg.defaultRemote);
    return {source: await (await this.openRemotes({}, cfg)).source(remote), filters};
  }

  protected progress(label: string): Progress {
    return Progress.forTerminal(label, this.quiet);
  }

  protected out(text: string): void {
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  protected outJson(value: unknown): void {
    process.stdout.write(`${JSON.stringify(value)}\n`);
  }

  protected async outYaml(value: unknown): Promise<void> {
    process.stdout.write(await toYaml(value));
  }

  /** A warning on stderr: `Warning: <message>`, and with --format json also `{"warning", "code"}`. */
  protected warning(w: Warning): void {
    process.stderr.write(`Warning: ${w.message}\n`);
    if (this.wantsJson()) process.stderr.write(`${JSON.stringify({warning: w.message, code: w.code})}\n`);
  }

  private wantsJson(): boolean {
    const i = this.argv.indexOf('--format');
    return this.argv.includes('--format=json') || (i >= 0 && this.argv[i + 1] === 'json');
  }

  protected override async catch(err: Interfaces.CommandError): Promise<never> {
    if (err instanceof Errors.ExitError) throw err;
    const debug = this.argv.includes('--debug');
    let exit = 1;
    let code: ErrorCode = 'Internal';
    let message = err.message;
    let hint: string | undefined;
    if (isUserError(err)) {
      exit = err.exit;
      code = err.code;
      hint = err.hint;
    } else if ('parse' in err || (err as {oclif?: {exit?: number}}).oclif?.exit === 2) {
      // oclif's own parse errors (missing argument, unknown flag, bad option value).
      exit = 2;
      code = 'Usage';
      message = `${oneLine(err.message)} (see: img ${this.id?.replaceAll(':', ' ') ?? ''} --help)`;
    } else {
      message = `${oneLine(err.message)} (run again with --debug for details)`;
    }
    process.stderr.write(`Error: ${oneLine(message)}${hint ? ` (${hint})` : ''}\n`);
    if (this.wantsJson()) process.stderr.write(`${JSON.stringify(hint ? {error: oneLine(message), code, hint} : {error: oneLine(message), code})}\n`);
    if (debug && err.stack) process.stderr.write(`${err.stack}\n`);
    return this.exit(exit);
  }
}

function oneLine(s: string): string {
  // oclif appends paragraphs about multiple-value flags to its parse errors; the first part says it.
  return s
    .split(/\n\s*\n\s*Note:/)[0]!
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('See more help with'))
    .join(' ')
    .replace(/: +/g, ': ');
}
