import {spawn, type ChildProcess} from 'node:child_process';
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs';
import {createServer, connect} from 'node:net';
import {join} from 'node:path';
import {hasCommand} from './cli.js';
import type {TestCa} from './https.js';

export function nginxSkipReason(): string | false {
  return hasCommand('nginx') ? false : 'nginx is not installed (apt-get install nginx-light)';
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as {port: number}).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Debian's nginx serving `root` as a plain static web server (HTTPS with the test CA's certificate), in its own throwaway prefix. */
export class Nginx {
  private constructor(
    readonly url: string,
    readonly dir: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(root: string, dir: string, ca: TestCa): Promise<Nginx> {
    mkdirSync(dir, {recursive: true});
    const port = await freePort();
    const conf = `daemon off;
user root;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
events { worker_connections 1024; }
http {
  access_log ${dir}/access.log;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  types { application/json json; text/html html; }
  default_type application/octet-stream;
  sendfile on;
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_certificate ${ca.cert};
    ssl_certificate_key ${ca.key};
    ssl_protocols TLSv1.2 TLSv1.3;
    root ${root};
  }
}
`;
    writeFileSync(join(dir, 'nginx.conf'), conf);
    const child = spawn('nginx', ['-e', join(dir, 'error.log'), '-p', dir, '-c', join(dir, 'nginx.conf')], {stdio: 'ignore'});
    for (let i = 0; i < 100; i++) {
      if (await listening(port)) return new Nginx(`https://127.0.0.1:${port}`, dir, child);
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGKILL');
    throw new Error(`nginx did not start: ${readFileSync(join(dir, 'error.log'), 'utf8').slice(-1000)}`);
  }

  /** The request lines of the access log so far. */
  requests(): string[] {
    return readFileSync(join(this.dir, 'access.log'), 'utf8').split('\n').filter(Boolean);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const done = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await done;
  }
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}
