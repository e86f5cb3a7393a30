import {Flags} from '@oclif/core';
import {ImgCommand} from '../base-command.js';

export default class Serve extends ImgCommand {
  static override summary = "Serve the store's public images over HTTP(S)";
  static override description = `One server for every client of the store: simplestreams (/streams/v1/index.json, images.json, .sjson and .json.gpg with --sign-key; files under /files/<fingerprint>/), the public part of the LXD REST API (/1.0…), direct-URL import (/img/<alias>) and a page for browsers at /. Only public images are listed or served; there is no authentication yet.

With --tls-cert and --tls-key it speaks HTTPS (default 127.0.0.1:8443), without them plain HTTP (default 127.0.0.1:8080). One access-log line per request goes to stdout. SIGTERM or SIGINT stops accepting connections, lets downloads under way finish (up to 30 s) and exits 0; a second signal stops at once.`;
  static override examples = [
    '<%= config.bin %> serve --tls-cert server.crt --tls-key server.key',
    '<%= config.bin %> serve --listen 0.0.0.0:8080 --sign-key signing.asc --passphrase-file pass.txt',
  ];
  static override flags = {
    listen: Flags.string({description: 'ADDR:PORT to listen on (port 0: any free port, printed)'}),
    'tls-cert': Flags.string({description: 'Server certificate (PEM)', dependsOn: ['tls-key']}),
    'tls-key': Flags.string({description: 'Key of the server certificate (PEM)', dependsOn: ['tls-cert']}),
    'sign-key': Flags.string({description: 'Armored OpenPGP secret key: also serve signed .sjson and .json.gpg'}),
    'passphrase-file': Flags.string({description: 'File holding the passphrase of --sign-key', dependsOn: ['sign-key']}),
  };

  async run(): Promise<void> {
    const {flags} = await this.parse(Serve);
    const [{serveStore}, {batchedLines, formatAccess}, {lxdRoute}] = await Promise.all([
      import('../lib/serve/start.js'),
      import('../lib/serve/access-log.js'),
      import('../lib/serve/lxd-api.js'),
    ]);
    const log = batchedLines((text) => process.stdout.write(text));
    const {server, tls, images} = await serveStore(await this.openStore(), {
      ...(flags.listen === undefined ? {} : {listen: flags.listen}),
      ...(flags['tls-cert'] === undefined ? {} : {tlsCert: flags['tls-cert']}),
      ...(flags['tls-key'] === undefined ? {} : {tlsKey: flags['tls-key']}),
      ...(flags['sign-key'] === undefined ? {} : {signKey: flags['sign-key']}),
      ...(flags['passphrase-file'] === undefined ? {} : {passphraseFile: flags['passphrase-file']}),
      lxdApi: lxdRoute,
      onAccess: (e) => log(formatAccess(e)),
      onError: (err) => process.stderr.write(`Error answering a request: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`),
    });
    if (!tls) this.warning({code: 'PlainHttp', message: 'no --tls-cert: serving plain HTTP, unauthenticated and unencrypted'});
    this.out(`Serving ${images} public image${images === 1 ? '' : 's'} on ${server.url}`);
    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    process.stderr.write(`${signal}: finishing the answers under way\n`);
    const {cut} = await server.close(30_000);
    if (cut > 0) process.stderr.write(`${cut} answer(s) cut at the 30 s deadline\n`);
  }
}
