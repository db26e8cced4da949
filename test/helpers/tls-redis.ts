import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { freePort } from '../../demo/redis-server.js';
import { waitFor } from './redis.js';
import { getSystemTool, OPENSSL } from './system-tool.js';

/** A private `redis-server` that speaks only TLS, with a certificate from its own test CA. */
export interface TlsRedis {
  readonly port: number;
  /** `rediss://127.0.0.1:<port>` */
  readonly url: string;
  /** PEM of the CA that signed the server's certificate (give it as REDIS_TLS_CA_FILE). */
  readonly caFile: string;
  destroy(): Promise<void>;
}

/**
 * Makes a throw-away CA and a server certificate for 127.0.0.1 with the `openssl` command line
 * (found or installed by test/helpers/system-tool.ts), then starts redis-server with `--tls-port` only
 * (https://redis.io/docs/latest/operate/oss_and_stack/management/security/encryption/).
 */
export async function startTlsRedis(): Promise<TlsRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'dso-tls-'));
  const file = (name: string) => join(dir, name);
  const opensslPath = getSystemTool(OPENSSL);
  const openssl = (...args: string[]) => execFileSync(opensslPath, args, { stdio: 'ignore' });
  const key = (name: string) => [
    ...['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'],
    ...['-keyout', file(`${name}.key`)],
  ];
  try {
    openssl(
      'req',
      '-x509',
      ...key('ca'),
      '-subj',
      '/CN=dso-test-ca',
      '-days',
      '2',
      '-out',
      file('ca.crt'),
    );
    openssl('req', ...key('server'), '-subj', '/CN=127.0.0.1', '-out', file('server.csr'));
    writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    openssl(
      ...['x509', '-req', '-in', file('server.csr'), '-days', '2', '-extfile', file('san.ext')],
      ...['-CA', file('ca.crt'), '-CAkey', file('ca.key'), '-CAcreateserial'],
      ...['-out', file('server.crt')],
    );
  } catch (err: unknown) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const port = await freePort();
  const child = spawn(
    'redis-server',
    [
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--tls-cert-file',
      file('server.crt'),
      '--tls-key-file',
      file('server.key'),
      '--tls-ca-cert-file',
      file('ca.crt'),
      '--tls-auth-clients',
      'no',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
    ],
    { stdio: 'ignore' },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const destroy = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(() => listening(port), 15_000, `TLS redis-server on port ${port}`);
  } catch (err: unknown) {
    await destroy();
    throw err;
  }
  return { port, url: `rediss://127.0.0.1:${port}`, caFile: file('ca.crt'), destroy };
}

function listening(port: number): Promise<true | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      resolve(undefined);
    });
  });
}
