import {X509Certificate} from 'node:crypto';
import {isIP} from 'node:net';
import {connect} from 'node:tls';
import {UserError} from '../errors.js';

export interface PeerCertificate {
  /** PEM of the server's leaf certificate. */
  pem: string;
  /** sha256 of its DER, as lxc shows it when asking to accept it. */
  fingerprint: string;
  /** Whether Node's trust store (NODE_EXTRA_CA_CERTS included) already vouches for it. */
  trusted: boolean;
  /** Why not, when it does not. */
  reason?: string;
}

/**
 * The certificate an https server presents, and whether it is trusted as things stand: what
 * `img remote add` needs to pin a self-signed LXD server's certificate, as lxc does.
 */
export function peerCertificate(url: string, timeoutMs = 15_000): Promise<PeerCertificate> {
  const u = new URL(url);
  const port = Number(u.port || 443);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  return new Promise((resolve, reject) => {
    const socket = connect({host, port, servername: /^[\d.:]+$/.test(host) ? undefined : host, rejectUnauthorized: false, timeout: timeoutMs});
    const fail = (why: string) => {
      socket.destroy();
      reject(new UserError(`cannot reach ${u.origin}: ${why}`, {code: 'RemoteUnreachable'}));
    };
    socket.once('timeout', () => fail('timed out'));
    socket.once('error', (err: NodeJS.ErrnoException) => fail(err.code === 'ECONNREFUSED' ? 'connection refused' : err.message));
    socket.once('secureConnect', () => {
      const raw = socket.getPeerX509Certificate();
      const authorized = socket.authorized;
      const reason = socket.authorizationError ? String(socket.authorizationError) : undefined;
      socket.end();
      if (!raw) return fail('the server presented no certificate');
      const cert = new X509Certificate(raw.raw);
      const hostOk = (isIP(host) ? cert.checkIP(host) : cert.checkHost(host)) !== undefined;
      resolve({
        pem: cert.toString(),
        fingerprint: cert.fingerprint256.replaceAll(':', '').toLowerCase(),
        trusted: authorized && hostOk,
        ...(authorized && hostOk ? {} : {reason: reason ?? `the certificate is not for ${host}`}),
      });
    });
  });
}
