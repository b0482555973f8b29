// corral and Apache ZooKeeper 3.8 configured alike for client TLS tests: a plaintext client
// port (kept for the readiness check with `srvr`, and for port unification) plus a secure
// client port with ssl.clientAuth=need and PEM key and trust stores, the x509 provider named.

import type { TestCertificates } from './certificates.js';
import { startCorral } from './corral.js';
import { freePort } from './ports.js';
import { classPath, startZooKeeper } from './zookeeper.js';

/** Debian's netty jars, which ZooKeeper's Netty connection factory (its only TLS one) needs and
 * zkServer.sh leaves off the class path. */
export const nettyClassPath = ['buffer', 'codec', 'common', 'handler', 'resolver', 'transport',
  'transport-native-epoll', 'transport-native-unix-common']
  .map((part) => `/usr/share/java/netty-${part}.jar`).join(':');

export type TlsServerKind = 'corral' | 'zookeeper';

export interface TlsTestServer {
  kind: TlsServerKind;
  /** The plaintext client port. */
  port: number;
  securePort: number;
  dir: string;
  output: () => string;
  stop(): Promise<void>;
}

/** The zoo.cfg lines both servers get; `extra` lines come last (later keys win). */
export function tlsZooCfg(certificates: TestCertificates, securePort: number,
  extra: string[] = []): string[] {
  return [
    `secureClientPort=${securePort}`,
    'secureClientPortAddress=127.0.0.1',
    'serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory',
    'authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider',
    `ssl.keyStore.location=${certificates.server.pemStore}`,
    `ssl.trustStore.location=${certificates.caFile}`,
    'ssl.clientAuth=need',
    // mntr on the plaintext port, for the handshake counters.
    '4lw.commands.whitelist=*',
    ...extra,
  ];
}

export async function startTlsServer(
  kind: TlsServerKind,
  certificates: TestCertificates,
  extra: string[] = [],
): Promise<TlsTestServer> {
  const securePort = await freePort();
  const zooCfg = tlsZooCfg(certificates, securePort, extra);
  if (kind === 'corral') {
    const server = await startCorral({ zooCfg: ['tickTime=2000', ...zooCfg] });
    return { kind, port: server.port, securePort, dir: server.dir, output: server.output,
      stop: server.stop };
  }
  // ZooKeeper reads unknown zoo.cfg keys as zookeeper.* system properties; the ssl.* keys and
  // the x509 super user reach X509Util that way, so pass them as -D flags as well.
  const jvmFlags = [
    `-cp ${classPath}:${nettyClassPath}`,
    ...zooCfg.filter((line) => /^(ssl\.|X509|client\.|enforce\.)/.test(line))
      .map((line) => `-Dzookeeper.${line}`),
  ];
  const server = await startZooKeeper({ extraConfig: zooCfg, jvmFlags });
  return { kind, port: server.port, securePort, dir: server.dir, output: server.output,
    stop: server.stop };
}
