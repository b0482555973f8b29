import { describe, expect, it } from 'vitest';
import { Perm } from '../../protocol/constants.js';
import type { ACL } from '../../protocol/records.js';
import {
  checkPermission,
  fixupAcl,
  isValidDigestId,
  isValidSaslId,
  redactDigests,
} from '../../tree/acl.js';
import { ipMatches, isValidIpExpression, parseIpAddress } from '../../tree/ip.js';
import type { AuthContext } from '../../protocol/txn.js';

const acl = (perms: number, scheme: string, id: string): ACL => ({ perms, id: { scheme, id } });
const nobody: AuthContext = { ids: [{ scheme: 'ip', id: '10.1.2.3' }], superUser: false };
const digestUser: AuthContext = {
  ids: [
    { scheme: 'ip', id: '10.1.2.3' },
    { scheme: 'digest', id: 'bob:h1' },
    { scheme: 'sasl', id: 'carol' },
  ],
  superUser: false,
};

describe('fixupAcl (PrepRequestProcessor.fixupACL)', () => {
  it('rejects a null or empty list (invalidACL)', () => {
    expect(fixupAcl(null, nobody)).toBeUndefined();
    expect(fixupAcl([], nobody)).toBeUndefined();
  });

  it('keeps world:anyone and removes exact duplicates', () => {
    const world = acl(Perm.all, 'world', 'anyone');
    expect(fixupAcl([world, { ...world }], nobody)).toEqual([world]);
  });

  it('rejects world with an id other than anyone', () => {
    expect(fixupAcl([acl(Perm.all, 'world', 'someone')], nobody)).toBeUndefined();
  });

  it('expands auth to every authenticated non-ip id of the session', () => {
    expect(fixupAcl([acl(Perm.read, 'auth', '')], digestUser)).toEqual([
      acl(Perm.read, 'digest', 'bob:h1'),
      acl(Perm.read, 'sasl', 'carol'),
    ]);
  });

  it('rejects auth when the session has only ip ids', () => {
    expect(fixupAcl([acl(Perm.read, 'auth', '')], nobody)).toBeUndefined();
  });

  it('does not expand auth to a scheme without a provider', () => {
    const saslOnly: AuthContext = { ids: [{ scheme: 'sasl', id: 'carol' }], superUser: false };
    expect(fixupAcl([acl(Perm.read, 'auth', '')], saslOnly, new Set(['digest', 'ip'])))
      .toBeUndefined();
  });

  it.each([
    ['digest', 'user:hash', true],
    ['digest', ':hash', true],
    ['digest', 'user:', false],
    ['digest', 'user', false],
    ['digest', 'a:b:c', false],
    ['ip', '10.0.0.1', true],
    ['ip', '10.0.0.0/8', true],
    ['ip', '10.0.0.0/33', false],
    ['ip', '10.0.0', false],
    ['ip', '::1', true],
    ['ip', 'fe80::/10', true],
    ['ip', 'fe80::/129', false],
    ['ip', 'localhost', false],
    ['sasl', 'bob', true],
    ['sasl', 'bob/host@REALM', true],
    ['sasl', 'bob@REALM@X', false],
    ['x509', 'CN=bob,O=example', true],
    ['x509', 'not a name', false],
    ['nosuch', 'x', false],
  ])('scheme %s id %j valid: %s', (scheme, id, valid) => {
    const result = fixupAcl([acl(Perm.read, scheme, id)], nobody);
    expect(result !== undefined).toBe(valid);
  });

  it('rejects sasl ids when no SASL provider is configured', () => {
    expect(fixupAcl([acl(Perm.read, 'sasl', 'bob')], nobody, new Set(['digest', 'ip'])))
      .toBeUndefined();
  });
});

describe('id validity helpers', () => {
  it.each([
    ['a:b', true],
    ['a:b:', true],
    ['a::', false],
    [':', false],
  ])('isValidDigestId(%j) is %s (Java split drops trailing empties)', (id, valid) => {
    expect(isValidDigestId(id)).toBe(valid);
  });

  it.each([
    ['service/host', true],
    ['a@R', true],
    ['a/b/c@R', false],
  ])('isValidSaslId(%j) is %s', (id, valid) => {
    expect(isValidSaslId(id)).toBe(valid);
  });
});

describe('checkPermission (ZooKeeperServer.checkACL)', () => {
  it('lets world:anyone through for the granted bits only', () => {
    const readOnly = [acl(Perm.read, 'world', 'anyone')];
    expect(checkPermission(readOnly, Perm.read, nobody)).toBe(true);
    expect(checkPermission(readOnly, Perm.write, nobody)).toBe(false);
  });

  it('passes when any bit of a combined permission is granted (getACL asks READ|ADMIN)', () => {
    expect(checkPermission([acl(Perm.admin, 'world', 'anyone')], Perm.read | Perm.admin, nobody))
      .toBe(true);
  });

  it('matches digest ids by the exact string', () => {
    const node = [acl(Perm.all, 'digest', 'bob:h1')];
    expect(checkPermission(node, Perm.write, digestUser)).toBe(true);
    expect(checkPermission(node, Perm.write, nobody)).toBe(false);
    const other = { ids: [{ scheme: 'digest', id: 'bob:h2' }], superUser: false };
    expect(checkPermission(node, Perm.write, other)).toBe(false);
  });

  it('matches sasl ids by the exact string', () => {
    expect(checkPermission([acl(Perm.all, 'sasl', 'carol')], Perm.read, digestUser)).toBe(true);
    expect(checkPermission([acl(Perm.all, 'sasl', 'Carol')], Perm.read, digestUser)).toBe(false);
    expect(checkPermission([acl(Perm.all, 'sasl', 'carol@R')], Perm.read, digestUser)).toBe(false);
  });

  it('matches ip ids by CIDR', () => {
    expect(checkPermission([acl(Perm.read, 'ip', '10.1.0.0/16')], Perm.read, nobody)).toBe(true);
    expect(checkPermission([acl(Perm.read, 'ip', '10.2.0.0/16')], Perm.read, nobody)).toBe(false);
  });

  it('lets the super user do anything', () => {
    const everything = { ids: [], superUser: true };
    expect(checkPermission([acl(Perm.read, 'digest', 'x:y')], Perm.admin, everything))
      .toBe(true);
  });

  it('allows everything on an empty ACL, as ZooKeeper does', () => {
    expect(checkPermission([], Perm.admin, nobody)).toBe(true);
  });

  it('ignores entries of a scheme without a provider', () => {
    const sessionWithSasl: AuthContext = {
      ids: [{ scheme: 'sasl', id: 'carol' }],
      superUser: false,
    };
    const node = [acl(Perm.read, 'sasl', 'carol')];
    expect(checkPermission(node, Perm.read, sessionWithSasl, new Set(['digest', 'ip'])))
      .toBe(false);
  });
});

describe('ip matching (IPAuthenticationProvider)', () => {
  it.each([
    ['10.1.2.3', '10.1.2.3', true],
    ['10.1.2.3', '10.1.2.4', false],
    ['10.1.2.3', '10.1.2.0/24', true],
    ['10.1.3.3', '10.1.2.0/24', false],
    ['10.1.2.3', '10.1.2.3/32', true],
    ['200.1.2.3', '0.0.0.0/0', true],
    ['10.1.2.3', '10.1.2.128/25', false],
    ['10.1.2.200', '10.1.2.128/25', true],
    ['10.1.2.3', '10.1.2.3/x', false],
    ['::1', '::1', true],
    ['0:0:0:0:0:0:0:1', '::1', true],
    ['2001:db8::5', '2001:db8::/32', true],
    ['2001:db9::5', '2001:db8::/32', false],
    ['10.1.2.3', '::/0', false],
    ['::1', '0.0.0.0/0', false],
    ['01.1.2.3', '1.1.2.3', true],
  ])('id %s in %s: %s', (id, expression, matches) => {
    expect(ipMatches(id, expression)).toBe(matches);
  });

  it.each([
    ['1.2.3.4', [1, 2, 3, 4]],
    ['+1.2.3.4', [1, 2, 3, 4]],
    ['256.1.1.1', undefined],
    ['1.2.3.4.5', undefined],
    ['1.2.3.', undefined],
    ['::', new Array(16).fill(0)],
    ['1::', [0, 1, ...new Array(14).fill(0)]],
    ['1:2:3:4:5:6:7:8', [0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['1:2:3:4::5:6:7:8', undefined],
    ['1::2::3', undefined],
    ['12345::', undefined],
    ['g::', undefined],
  ])('parseIpAddress(%j)', (address, bytes) => {
    const parsed = parseIpAddress(address);
    expect(parsed === undefined ? undefined : [...parsed]).toEqual(bytes);
  });

  it('accepts a CIDR prefix up to the address width', () => {
    expect(isValidIpExpression('10.0.0.0/32')).toBe(true);
    expect(isValidIpExpression('10.0.0.0/-1')).toBe(false);
    expect(isValidIpExpression('::/128')).toBe(true);
  });
});

describe('redactDigests', () => {
  it('hides digest hashes and keeps other ids', () => {
    expect(
      redactDigests([acl(Perm.all, 'digest', 'bob:abc:def'), acl(Perm.read, 'ip', '1.2.3.4')]),
    ).toEqual([acl(Perm.all, 'digest', 'bob:x'), acl(Perm.read, 'ip', '1.2.3.4')]);
  });
});
