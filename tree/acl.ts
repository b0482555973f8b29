// ACL validation for create/setACL and permission checks, following ZooKeeper's
// PrepRequestProcessor.fixupACL and ZooKeeperServer.checkACL with the built-in authentication
// providers (digest, ip) and the optional SASL and x509 ones; the super user bypasses every check.

import { Perm } from '../protocol/constants.js';
import type { ACL, Id } from '../protocol/records.js';
import type { AuthContext } from '../protocol/txn.js';
import { ipMatches, isValidIpExpression } from './ip.js';
import { isValidX500Name } from './x500-name.js';

/** world:anyone with every permission (ZooDefs.Ids.OPEN_ACL_UNSAFE). */
export const openAclUnsafe: readonly ACL[] = Object.freeze([
  { perms: Perm.all, id: { scheme: 'world', id: 'anyone' } },
]);

/** world:anyone may only read (ZooDefs.Ids.READ_ACL_UNSAFE), the ACL of /zookeeper/config. */
export const readAclUnsafe: readonly ACL[] = Object.freeze([
  { perms: Perm.read, id: { scheme: 'world', id: 'anyone' } },
]);

/** Authentication schemes with a provider on the server. ZooKeeper always has digest and ip;
 * sasl exists only when its provider is configured (authProvider.N=…SASLAuthentication…), x509
 * when it is configured or a secure client port registers it. */
export type AuthScheme = 'digest' | 'ip' | 'sasl' | 'x509';
export const defaultAuthSchemes: ReadonlySet<string> = new Set<AuthScheme>([
  'digest',
  'ip',
  'sasl',
  'x509',
]);

/** DigestAuthenticationProvider.isValid: `id.split(":")` has exactly two parts; Java's split
 * drops trailing empty strings, so "user:" is invalid but ":hash" is valid. */
export function isValidDigestId(id: string): boolean {
  const parts = id.split(':');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts.length === 2;
}

// Kerberos principal syntax (KerberosName): primary[/instance]@REALM, or a bare short name.
const kerberosPrincipal = /^([^/@]*)(\/([^/@]*))?@([^/@]*)$/;

/** SASLAuthenticationProvider.isValid: any name without '@', or a well-formed principal. */
export function isValidSaslId(id: string): boolean {
  return !id.includes('@') || kerberosPrincipal.test(id);
}

function isValidId(scheme: string, id: string): boolean {
  switch (scheme) {
    case 'digest':
      return isValidDigestId(id);
    case 'ip':
      return isValidIpExpression(id);
    case 'sasl':
      return isValidSaslId(id);
    case 'x509':
      return isValidX500Name(id);
    default:
      return false;
  }
}

function sameAcl(left: ACL, right: ACL): boolean {
  const { id: leftId } = left;
  const { id: rightId } = right;
  return left.perms === right.perms && leftId.scheme === rightId.scheme && leftId.id === rightId.id;
}

function withoutDuplicates(acl: readonly ACL[]): ACL[] {
  const unique: ACL[] = [];
  for (const entry of acl) {
    if (!unique.some((seen) => sameAcl(seen, entry))) unique.push(entry);
  }
  return unique;
}

/** An id that an `auth` ACL entry expands to: one from a provider that authenticates (digest,
 * sasl), never ip (IPAuthenticationProvider.isAuthenticated is false). */
function isAuthenticatedId(id: Id, schemes: ReadonlySet<string>): boolean {
  return id.scheme !== 'ip' && schemes.has(id.scheme);
}

/** The ACL a node gets from a create/setACL request, or undefined for invalidACL: duplicates
 * removed, `auth` expanded to the session's authenticated ids, every other id checked by its
 * scheme's provider. Empty or null lists and unknown schemes are invalid. */
export function fixupAcl(
  acl: readonly ACL[] | null,
  auth: AuthContext,
  schemes: ReadonlySet<string> = defaultAuthSchemes,
): ACL[] | undefined {
  if (acl === null) return undefined;
  const unique = withoutDuplicates(acl);
  if (unique.length === 0) return undefined;
  const fixed: ACL[] = [];
  for (const entry of unique) {
    const { scheme, id } = entry.id;
    if (scheme === 'world' && id === 'anyone') {
      fixed.push(entry);
    } else if (scheme === 'auth') {
      const before = fixed.length;
      for (const own of auth.ids) {
        if (isAuthenticatedId(own, schemes)) {
          fixed.push({ perms: entry.perms, id: { scheme: own.scheme, id: own.id } });
        }
      }
      if (fixed.length === before) return undefined;
    } else {
      if (!schemes.has(scheme) || !isValidId(scheme, id)) return undefined;
      fixed.push(entry);
    }
  }
  return fixed;
}

function idMatches(scheme: string, ownId: string, aclId: string): boolean {
  switch (scheme) {
    case 'ip':
      return ipMatches(ownId, aclId);
    default:
      // digest, sasl (and x509) providers compare the whole id string exactly.
      return ownId === aclId;
  }
}

/** ZooKeeperServer.checkACL: true when some entry grants any bit of `perm` to world:anyone or
 * to one of the session's ids. An empty ACL allows everything, as in ZooKeeper. */
export function checkPermission(
  acl: readonly ACL[],
  perm: number,
  auth: AuthContext,
  schemes: ReadonlySet<string> = defaultAuthSchemes,
): boolean {
  if (auth.superUser || acl.length === 0) return true;
  for (const entry of acl) {
    if ((entry.perms & perm) === 0) continue;
    const { scheme, id } = entry.id;
    if (scheme === 'world' && id === 'anyone') return true;
    if (!schemes.has(scheme)) continue;
    for (const own of auth.ids) {
      if (own.scheme === scheme && idMatches(scheme, own.id, id)) return true;
    }
  }
  return false;
}

/** getACL for a session without ADMIN: digest ids lose their hash ("user:x"), as
 * FinalRequestProcessor does since ZooKeeper 3.6 so READ alone cannot harvest hashes. */
export function redactDigests(acl: readonly ACL[]): ACL[] {
  return acl.map((entry) =>
    entry.id.scheme !== 'digest'
      ? entry
      : { perms: entry.perms, id: { scheme: 'digest', id: entry.id.id.replace(/:.*/g, ':x') } },
  );
}
