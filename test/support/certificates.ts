// Certificates for TLS tests, made with the openssl command in a temp dir: a CA, a server
// certificate for localhost/127.0.0.1, client certificates for alice and bob, and a rogue CA
// with its own "alice". Each identity comes as a PEM key, a PEM certificate, a PEM key store
// (key and certificate in one file, as ZooKeeper's PEM support reads it) and a PKCS12 store.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const storePassword = 'changeit';

export interface Identity {
  /** The certificate's subject as X500Principal.getName() prints it. */
  subject: string;
  keyFile: string;
  certFile: string;
  /** Key and certificate in one PEM file. */
  pemStore: string;
  /** PKCS12 with storePassword. */
  p12Store: string;
  key: string;
  cert: string;
}

export interface TestCertificates {
  dir: string;
  /** The CA's certificate as a PEM trust store (and its PKCS12 form). */
  caFile: string;
  caP12: string;
  ca: string;
  server: Identity;
  alice: Identity;
  bob: Identity;
  /** A CA nobody trusts, and the "alice" it issued. */
  rogueCaFile: string;
  rogueAlice: Identity;
  remove(): void;
}

export function opensslAvailable(): boolean {
  return existsSync('/usr/bin/openssl');
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

function makeCa(dir: string, name: string, subject: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', subject]);
}

/** A certificate `ca` issued for `subject` (OpenSSL order: most significant RDN first). */
export function makeIdentity(
  dir: string,
  ca: string,
  name: string,
  opensslSubject: string,
  subject: string,
  extensions = 'extendedKeyUsage=clientAuth,serverAuth',
): Identity {
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', opensslSubject]);
  writeFileSync(join(dir, `${name}.ext`), `${extensions}\n`);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`,
    '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`]);
  const key = readFileSync(join(dir, `${name}.key`), 'utf8');
  const cert = readFileSync(join(dir, `${name}.pem`), 'utf8');
  writeFileSync(join(dir, `${name}-store.pem`), key + cert);
  openssl(dir, ['pkcs12', '-export', '-in', `${name}.pem`, '-inkey', `${name}.key`,
    '-out', `${name}.p12`, '-passout', `pass:${storePassword}`]);
  return {
    subject,
    keyFile: join(dir, `${name}.key`),
    certFile: join(dir, `${name}.pem`),
    pemStore: join(dir, `${name}-store.pem`),
    p12Store: join(dir, `${name}.p12`),
    key,
    cert,
  };
}

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'corral-tls-'));
  makeCa(dir, 'ca', '/O=example/CN=corral test CA');
  makeCa(dir, 'rogue', '/O=example/CN=rogue CA');
  openssl(dir, ['pkcs12', '-export', '-nokeys', '-in', 'ca.pem', '-out', 'ca.p12',
    '-passout', `pass:${storePassword}`]);
  const serverExtensions = 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' +
    'extendedKeyUsage=serverAuth,clientAuth';
  return {
    dir,
    caFile: join(dir, 'ca.pem'),
    caP12: join(dir, 'ca.p12'),
    ca: readFileSync(join(dir, 'ca.pem'), 'utf8'),
    server: makeIdentity(dir, 'ca', 'server', '/O=example/CN=localhost', 'CN=localhost,O=example',
      serverExtensions),
    alice: makeIdentity(dir, 'ca', 'alice', '/O=example/CN=alice', 'CN=alice,O=example'),
    bob: makeIdentity(dir, 'ca', 'bob', '/O=example/CN=bob', 'CN=bob,O=example'),
    rogueCaFile: join(dir, 'rogue.pem'),
    rogueAlice: makeIdentity(dir, 'rogue', 'rogue-alice', '/O=example/CN=alice',
      'CN=alice,O=example'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
