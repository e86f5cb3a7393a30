import {Flags} from '@oclif/core';
import {arg, formatFlag, ImgCommand} from '../../base-command.js';

export default class SimplestreamsVerify extends ImgCommand {
  static override summary = 'Check every file of a static simplestreams tree against its index';
  static override description = `Reads the index, every products file it names and every item of them, and re-hashes each file the items name: one line per problem, all of them, then a summary; exits 1 (code TreeMismatch) when there is any.

  MISSING <path>                              a products file or item file the index names is not there
  SIZE <path>: tree has X bytes, index says Y
  SHA256 <path>: tree has X, index says Y     (MD5 likewise, where an item claims one)
  INVALID <path>: <why>                       a document that is not JSON, an unsafe path, an item without size or checksum
  SIGNATURE <path>: <why>                     with --keyring: a .sjson or .json.gpg that does not verify, or does not sign what the .json says

With --keyring, every document must also have its .sjson and .json.gpg, and each must verify.`;
  static override args = {dir: arg({description: 'Directory of the tree', required: true})};
  static override flags = {
    keyring: Flags.string({description: 'OpenPGP public keys (gpg --export): also check the signatures'}),
    format: formatFlag('table', ['table', 'json']),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(SimplestreamsVerify);
    const [{verifyTree}, {openBlobStore}, {problemLine}, {UserError}] = await Promise.all([
      import('../../lib/simplestreams/verify.js'),
      import('../../lib/storage/index.js'),
      import('../../render/simplestreams-tree.js'),
      import('../../lib/errors.js'),
    ]);
    const keyring = flags.keyring ? await (await import('../../lib/sign/openpgp.js')).loadKeyring(flags.keyring) : undefined;
    const progress = this.progress('Verifying');
    const result = await verifyTree(openBlobStore(args.dir), {...(keyring ? {keyring} : {}), onProgress: (done, total) => progress.update(done, total)});
    progress.clear();
    const summary = `${result.documents} products file(s), ${result.files} file(s) of ${result.bytes} bytes${keyring ? `, ${result.signatures} signature(s)` : ''} checked`;
    if (flags.format === 'json') this.outJson(result);
    else this.out([...result.problems.map(problemLine), result.ok ? `ok: ${summary}` : `${result.problems.length} problem(s): ${summary}`].join('\n'));
    if (!result.ok) throw new UserError(`${args.dir}: ${result.problems.length} problem(s) in the tree`, {code: 'TreeMismatch'});
  }
}
