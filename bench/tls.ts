// TLS for `npm run bench -- --compare --tls`: a throwaway CA, a server certificate for
// 127.0.0.1 and a client certificate, made with the openssl command, and the zoo.cfg lines that
// give corral and Apache ZooKeeper the same secure client port (clientAuth=need, PEM stores).

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BenchTls {
  /** PEM texts the benchmark's client connects with. */
  ca: string;
  cert: string;
  key: string;
  /** zoo.cfg lines for a secure client port on `port`. */
  zooCfg(port: number): string[];
  /** zoo.cfg lines for mutual TLS between the members of an ensemble (sslQuorum). */
  quorumZooCfg(): string[];
}

/** Debian's netty jars: ZooKeeper's only TLS connection factory needs them on its class path. */
export const nettyJars = ['buffer', 'codec', 'common', 'handler', 'resolver', 'transport',
  'transport-native-epoll', 'transport-native-unix-common']
  .map((part) => `/usr/share/java/netty-${part}.jar`);

export function makeBenchTls(dir: string): BenchTls {
  const openssl = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
    '-subj', '/CN=bench CA']);
  for (const name of ['server', 'client']) {
    openssl(['req', ...ecKey, '-keyout', `${name}.key`, '-out', `${name}.csr`,
      '-subj', `/CN=${name === 'server' ? 'localhost' : 'bench'}`]);
    writeFileSync(join(dir, `${name}.ext`),
      'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key',
      '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
  }
  const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
  writeFileSync(join(dir, 'server-store.pem'), read('server.key') + read('server.pem'));
  return {
    ca: read('ca.pem'),
    cert: read('client.pem'),
    key: read('client.key'),
    zooCfg: (port) => [
      `secureClientPort=${port}`, 'secureClientPortAddress=127.0.0.1',
      'serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory',
      `ssl.keyStore.location=${join(dir, 'server-store.pem')}`,
      `ssl.trustStore.location=${join(dir, 'ca.pem')}`,
    ],
    quorumZooCfg: () => [
      'sslQuorum=true',
      `ssl.quorum.keyStore.location=${join(dir, 'server-store.pem')}`,
      'ssl.quorum.keyStore.type=PEM',
      `ssl.quorum.trustStore.location=${join(dir, 'ca.pem')}`,
      'ssl.quorum.trustStore.type=PEM',
    ],
  };
}
