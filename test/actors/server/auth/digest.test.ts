// ZooKeeper's digest scheme. Expected hashes were computed independently with
// `printf '%s' 'user:pass' | openssl sha1 -binary | base64`.
import { describe, expect, it } from 'vitest';
import {
  authenticateDigest,
  digestAuthIds,
  digestId,
  isSuperDigest,
} from '../../../../actors/server/auth/digest.js';

describe('digestId', () => {
  it.each([
    ['user', 'pass', 'user:smGaoVKd/cQkjm7b88GyorAUz20='],
    ['super', 'secret', 'super:lK75jTNcA+U9vtVEw5vB51mj/w4='],
    ['bob', 'pa:ss', 'bob:ZLnpyJBWh1VZxyRoQkI2cRg/9PM='],
    ['zoë', 'pässwörd', 'zoë:1vDM7UOOFLJri3bAl57HySUKtpI='],
  ])('digests %s with password %s as openssl does', (user, password, expected) => {
    expect(digestId(user, password)).toBe(expected);
  });
});

describe('authenticateDigest (auth packet, scheme digest)', () => {
  it.each([
    ['user:pass', 'user:smGaoVKd/cQkjm7b88GyorAUz20='],
    ['bob:pa:ss', 'bob:ZLnpyJBWh1VZxyRoQkI2cRg/9PM='],
    // Malformed payloads are accepted like ZooKeeper does: hashed whole, named by what precedes
    // the first colon (all of it when there is none).
    ['nocolon', 'nocolon:Ra+cHr2ZoHvBjtNArFGNGlVie4g='],
    ['', ':2jmj7l5rSw0yVb/vlWAYkK/YBwk='],
  ])('turns payload %j into digest id %s', (payload, expected) => {
    expect(authenticateDigest(Buffer.from(payload, 'utf8'))).toEqual({
      scheme: 'digest',
      id: expected,
    });
  });
});

describe('superDigest', () => {
  const superDigest = 'super:lK75jTNcA+U9vtVEw5vB51mj/w4=';

  it.each([
    ['super:secret', superDigest, true],
    ['super:wrong', superDigest, false],
    // The user part is compared too: the same password under another name is not super.
    ['admin:secret', superDigest, false],
    ['super:secret', undefined, false],
  ])('treats auth %s with superDigest %s as super: %s', (payload, configured, expected) => {
    const id = authenticateDigest(Buffer.from(payload));
    expect(isSuperDigest(id, configured)).toBe(expected);
  });

  it('adds super before the digest id, as ZooKeeper does, when the digest matches', () => {
    expect(digestAuthIds(Buffer.from('super:secret'), superDigest)).toEqual([
      { scheme: 'super', id: '' },
      { scheme: 'digest', id: superDigest },
    ]);
    expect(digestAuthIds(Buffer.from('user:pass'), superDigest)).toEqual([
      { scheme: 'digest', id: 'user:smGaoVKd/cQkjm7b88GyorAUz20=' },
    ]);
  });
});
