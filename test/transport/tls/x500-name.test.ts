// x509 ids as ZooKeeper prints them: X500Principal.getName() of the client certificate's
// subject, compared with the JDK itself (when a JDK is installed) on subjects with escapes,
// multi-valued RDNs, attributes without an RFC 2253 keyword and non-ASCII text; and which ACL
// ids X500Principal accepts.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateSubjectName, DerError } from '../../../transport/tls/index.js';
import { isValidX500Name } from '../../../tree/x500-name.js';
import { makeTestCertificates, opensslAvailable, type TestCertificates } from
  '../../support/certificates.js';

/** OpenSSL subjects and what Java 17's X500Principal.getName() printed for them. */
const subjects: Array<[string, string[], string]> = [
  ['/O=example/CN=alice', [], 'CN=alice,O=example'],
  ['/C=DE/ST=Be rlin/L=Berlin/O=Ex, Inc/OU=a', [], 'OU=a,O=Ex\\, Inc,L=Berlin,ST=Be rlin,C=DE'],
  ['/CN= lead trail /emailAddress=a@b.c/serialNumber=42', [],
    '2.5.4.5=#13023432,1.2.840.113549.1.9.1=#16056140622e63,CN=\\ lead trail\\ '],
  ['/DC=org/DC=example/UID=u1/CN=ünïcödé_@*', ['-utf8'],
    'CN=ünïcödé_@*,UID=u1,DC=example,DC=org'],
  ['/CN=a+OU=b/O=multi', ['-multivalue-rdn'], 'O=multi,CN=a+OU=b'],
  ['/street=Main St/title=Dr/GN=Al/SN=Ice/CN=x', [],
    'CN=x,2.5.4.4=#0c03496365,2.5.4.42=#0c02416c,2.5.4.12=#0c024472,STREET=Main St'],
  ['/OU=a\\+b/CN=#hash;semi<x>"q"=eq\\\\bs, \\0x', ['-utf8'],
    'CN=\\#hash\\;semi\\<x\\>\\"q\\"\\=eq\\\\bs\\, 0x,OU=a\\+b'],
];

const javaSource = `
import java.io.FileInputStream;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
public class Subjects {
  public static void main(String[] files) throws Exception {
    CertificateFactory factory = CertificateFactory.getInstance("X.509");
    for (String file : files) {
      X509Certificate cert =
        (X509Certificate) factory.generateCertificate(new FileInputStream(file));
      System.out.println(cert.getSubjectX500Principal().getName());
    }
  }
}
`;

const hasJdk = spawnSync('javac', ['-version']).status === 0;
let certificates: TestCertificates;
const files: string[] = [];

beforeAll(() => {
  if (!opensslAvailable()) return;
  certificates = makeTestCertificates();
  subjects.forEach(([subject, flags], index) => {
    const file = join(certificates.dir, `subject-${index}.pem`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt',
      'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${file}.key`, '-out', file, '-days', '1',
      ...flags, '-subj', subject], { stdio: 'ignore' });
    files.push(file);
  });
});
afterAll(() => certificates?.remove());

describe.runIf(opensslAvailable())('x509 ids', () => {
  it.each(subjects.map((entry, index) => [entry[0], index, entry[2]] as const))(
    '%s is %s as Java prints it', (_subject, index, expected) => {
      const der = new X509Certificate(readFileSync(files[index]!)).raw;
      expect(certificateSubjectName(der)).toBe(expected);
    });

  it.runIf(hasJdk)('agrees with the JDK on every subject', () => {
    writeFileSync(join(certificates.dir, 'Subjects.java'), javaSource);
    const printed = execFileSync('java', [join(certificates.dir, 'Subjects.java'), ...files],
      { encoding: 'utf8' }).split('\n').slice(0, files.length);
    const ours = files.map((file) => certificateSubjectName(
      new X509Certificate(readFileSync(file)).raw));
    expect(ours).toEqual(printed);
  });

  it('refuses bytes that are not a certificate', () => {
    expect(() => certificateSubjectName(Buffer.from([0x30, 0x05, 0x01]))).toThrow(DerError);
  });
});

describe('x509 ACL ids', () => {
  // Each verdict is what new X500Principal(id) did on Java 17.
  it.each([
    ['CN=alice,O=example', true],
    ['CN=alice, O=example', true],
    ['', true],
    ['garbage', false],
    ['cn=alice', true],
    ['FOO=bar', false],
    ['1.2.3=#0c0161', true],
    ['OID.1.2.3=x', true],
    ['CN=a;O=b', true],
    ['CN=a+OU=b', true],
    ['CN="quoted, yes"', true],
    ['CN=a\\,b', true],
    ['CN=', true],
    ['=x', false],
    ['CN=a,', false],
    ['CN=#zz', false],
    ['CN=#0c', false],
    ['CN=a\\', false],
    ['CN="open', false],
    ['EMAILADDRESS=a@b', true],
    ['CN=a=b', true],
    ['CN=a,,O=b', false],
    ['  CN = a  ', true],
    ['CN=a#b', true],
    ['T=x', true],
    ['CN=<x>', false],
  ])('%j valid: %s', (id, valid) => {
    expect(isValidX500Name(id)).toBe(valid);
  });
});
