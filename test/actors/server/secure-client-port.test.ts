// corral's secure client port as a process serves it: secureClientPort alone (no plaintext
// port) with ssl.clientAuth=want and PKCS12 stores; client.portUnification on the plain port;
// a key store replaced on disk is served to the next connection.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as connectTls } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../../client/index.js';
import { WireConnection } from '../../../client/wire.js';
import { certificateSubjectName } from '../../../transport/tls/index.js';
import {
  makeIdentity,
  makeTestCertificates,
  opensslAvailable,
  storePassword,
  type Identity,
  type TestCertificates,
} from '../../support/certificates.js';
import { corralMain } from '../../support/corral.js';
import { fourLetterWord } from '../../support/four-letter.js';
import { freePort } from '../../support/ports.js';

interface Running {
  port: number;
  dir: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

let certificates: TestCertificates;
beforeAll(() => {
  if (opensslAvailable()) certificates = makeTestCertificates();
});
afterAll(() => certificates?.remove());

/** Starts corral on zoo.cfg `lines` (plus a data dir) and waits until `port` serves TLS. */
async function startCorralOn(port: number, lines: string[]): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'corral-secure-'));
  writeFileSync(join(dir, 'zoo.cfg'), [`dataDir=${join(dir, 'data')}`, ...lines].join('\n'));
  const child = spawn(process.execPath, [corralMain, 'server', '--config', join(dir, 'zoo.cfg')],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  while (!output.includes('TLS clients on') && !output.includes('listening on')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      await stop();
      throw new Error(`corral did not start:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { port, dir, child, output: () => output, stop };
}

function client(port: number, identity?: Identity): Promise<Client> {
  return connect(`127.0.0.1:${port}`, {
    connectTimeoutMs: 5_000,
    tls: { ca: certificates.ca,
      ...(identity === undefined ? {} : { cert: identity.cert, key: identity.key }) },
  });
}

/** The subject of the certificate a TLS server on `port` presents. */
function serverSubject(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTls({ host: '127.0.0.1', port, ca: certificates.ca,
      cert: certificates.alice.cert, key: certificates.alice.key }, () => {
      resolve(certificateSubjectName(socket.getPeerCertificate().raw));
      socket.destroy();
    });
    socket.on('error', reject);
  });
}

describe.runIf(opensslAvailable())('secureClientPort alone, ssl.clientAuth=want', () => {
  let server: Running;
  beforeAll(async () => {
    const port = await freePort();
    server = await startCorralOn(port, [
      `secureClientPort=${port}`, 'secureClientPortAddress=127.0.0.1',
      `zookeeper.ssl.keyStore.location=${certificates.server.p12Store}`,
      `zookeeper.ssl.keyStore.password=${storePassword}`,
      `zookeeper.ssl.trustStore.location=${certificates.caP12}`,
      `zookeeper.ssl.trustStore.password=${storePassword}`,
      'zookeeper.ssl.clientAuth=want',
    ]);
  }, 30_000);
  afterAll(() => server?.stop());

  it('serves a client without a certificate with its ip id only, and alice as x509', async () => {
    const anonymous = await client(server.port);
    expect(await anonymous.whoAmI()).toEqual([{ authScheme: 'ip', user: '127.0.0.1' }]);
    await anonymous.close();
    const alice = await client(server.port, certificates.alice);
    expect((await alice.whoAmI()).map((info) => info.authScheme)).toEqual(['ip', 'x509']);
    await alice.close();
  });

  it('still refuses a certificate from a rogue CA, and speaks no plaintext', async () => {
    const rogue = certificates.rogueAlice;
    await expect(WireConnection.open({ host: '127.0.0.1', port: server.port, timeoutMs: 3_000,
      tls: { ca: certificates.ca, cert: rogue.cert, key: rogue.key } })
      .then((wire) => wire.request({ kind: 'exists', path: '/', watch: false })))
      .rejects.toThrow();
    await expect(WireConnection.open({ host: '127.0.0.1', port: server.port,
      timeoutMs: 3_000 })).rejects.toThrow();
  });

  it('the client checks the server\'s name: a certificate for localhost is not elsewhere\'s',
    async () => {
      const { ca, alice } = certificates;
      const open = (servername?: string) => WireConnection.open({ host: '127.0.0.1',
        port: server.port, timeoutMs: 3_000, tls: { ca, cert: alice.cert, key: alice.key,
          ...(servername === undefined ? {} : { servername }) } });
      await expect(open('elsewhere.example')).rejects.toThrow();
      const wire = await open('localhost');
      wire.destroy();
    });
});

describe.runIf(opensslAvailable())('client.portUnification and reloading', () => {
  let server: Running;
  let liveStore: string;
  beforeAll(async () => {
    const port = await freePort();
    liveStore = join(certificates.dir, 'live-server.pem');
    copyFileSync(certificates.server.pemStore, liveStore);
    server = await startCorralOn(port, [
      `clientPort=${port}`, 'clientPortAddress=127.0.0.1', 'client.portUnification=true',
      '4lw.commands.whitelist=*',
      `ssl.keyStore.location=${liveStore}`, `ssl.trustStore.location=${certificates.caFile}`,
    ]);
  }, 30_000);
  afterAll(() => server?.stop());

  it('serves plaintext and TLS clients, and four-letter words, on one port', async () => {
    const plain = await connect(`127.0.0.1:${server.port}`, { connectTimeoutMs: 5_000 });
    await plain.create('/unified', 'both');
    expect((await plain.whoAmI()).map((info) => info.authScheme)).toEqual(['ip']);
    await plain.close();
    const alice = await client(server.port, certificates.alice);
    expect((await alice.getData('/unified')).data?.toString()).toBe('both');
    expect(await alice.whoAmI()).toContainEqual({ authScheme: 'x509',
      user: 'CN=alice,O=example' });
    await alice.close();
    expect(await fourLetterWord(server.port, 'ruok')).toBe('imok');
  });

  it('presents a key store replaced on disk to the next connection', async () => {
    expect(await serverSubject(server.port)).toBe('CN=localhost,O=example');
    const renewed = makeIdentity(certificates.dir, 'ca', 'renewed', '/O=renewed/CN=localhost',
      'CN=localhost,O=renewed', 'subjectAltName=DNS:localhost,IP:127.0.0.1');
    const next = join(certificates.dir, 'next-server.pem');
    copyFileSync(renewed.pemStore, next);
    renameSync(next, liveStore);
    const deadline = Date.now() + 5_000;
    let subject = '';
    while (Date.now() < deadline) {
      subject = await serverSubject(server.port);
      if (subject === 'CN=localhost,O=renewed') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(subject).toBe('CN=localhost,O=renewed');
    expect(server.output()).toContain('client TLS key and trust stores reloaded');
  });
});
