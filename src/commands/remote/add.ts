import {Flags} from '@oclif/core';
import {arg, ImgCommand} from '../../base-command.js';
import {addRemote, DEFAULT_PROTOCOL, KNOWN_PROTOCOLS} from '../../lib/config/remotes.js';
import {UserError} from '../../lib/errors.js';
import {imgHome} from '../../lib/store/paths.js';

export default class RemoteAdd extends ImgCommand {
  static override summary = 'Add a remote image server';
  static override description = `As lxc remote add. img trusts the system's certificate authorities; an https LXD server with a certificate they do not vouch for (LXD's own, self-signed) is refused unless --accept-certificate pins it, as lxc's prompt does. The protocol is ${DEFAULT_PROTOCOL} unless --protocol says otherwise, as in lxc; a simplestreams remote is always public. URLs are http or https (plain http for img serve without a certificate); for lxd a bare host[:port] means https://host:8443.

--keyring: OpenPGP public keys (gpg --export, armored or binary); img keeps a copy under $IMG_HOME/keyrings/ and then uses only correctly signed indexes from the remote.`;
  static override examples = [
    '<%= config.bin %> remote add mirror https://images.example.org --protocol simplestreams',
    '<%= config.bin %> remote add signed https://images.example.org --protocol simplestreams --keyring ./keys.gpg',
    '<%= config.bin %> remote add server 10.0.0.2 --public',
  ];
  static override args = {
    name: arg({required: true, description: 'Name of the remote'}),
    url: arg({required: true, description: 'URL (or host) of the server'}),
  };
  static override flags = {
    protocol: Flags.string({description: `Server protocol (${KNOWN_PROTOCOLS.join(' or ')})`, default: DEFAULT_PROTOCOL}),
    public: Flags.boolean({description: 'Public image server (no trust needed)'}),
    keyring: Flags.string({description: 'OpenPGP public keys the remote signs its indexes with'}),
    'accept-certificate': Flags.boolean({description: "Pin the server's certificate when the system does not trust it (lxd protocol)"}),
  };

  async run(): Promise<void> {
    const {args, flags} = await this.parse(RemoteAdd);
    // Checked before anything is recorded: a keyring with no usable public key would refuse every index later.
    if (flags.keyring) await (await import('../../lib/sign/openpgp.js')).loadKeyring(flags.keyring);
    await addRemote(imgHome(), {
      name: args.name,
      url: args.url,
      protocol: flags.protocol,
      public: flags.public,
      ...(flags.keyring ? {keyring: flags.keyring} : {}),
      certificate: (url, protocol) => this.certificate(url, protocol, flags['accept-certificate']),
    });
  }

  /** An https LXD server whose certificate the system does not trust is pinned, once the user accepts it (lxc asks the same). */
  private async certificate(url: string, protocol: string, accept: boolean): Promise<string | undefined> {
    if (protocol !== 'lxd' || !/^https:\/\//i.test(url)) return undefined;
    const {peerCertificate} = await import('../../lib/http/certificate.js');
    const peer = await peerCertificate(url);
    if (peer.trusted) return undefined;
    if (!accept) {
      throw new UserError(`the certificate of ${url} is not trusted (${peer.reason}); its sha256 fingerprint is ${peer.fingerprint}`, {
        code: 'UntrustedCertificate',
        hint: 'if that is the server you mean, run again with --accept-certificate to pin it',
      });
    }
    this.out(`Certificate fingerprint: ${peer.fingerprint} (pinned)`);
    return peer.pem;
  }
}
