// ZooKeeper's `digest` authentication scheme: the id a client gets from an `auth` packet
// (`addauth digest user:password`) and the `superDigest` super-user rule. ZooKeeper never
// checks the password against anything: the id *is* the hash, and ACLs name that hash.
import { createHash } from 'node:crypto';
import type { Id } from '../../../protocol/records.js';

export const digestScheme = 'digest';

/** The id ZooKeeper adds beside the digest id when the client is the super user. */
export const superId: Readonly<Id> = Object.freeze({ scheme: 'super', id: '' });

/**
 * ZooKeeper's DigestAuthenticationProvider.generateDigest: the part before the first colon,
 * a colon, then base64(sha1(whole text)). The hash covers the whole `user:password` text, so a
 * password may itself contain colons.
 */
function generateDigest(userColonPassword: string): string {
  const colonIndex = userColonPassword.indexOf(':');
  const user = colonIndex === -1 ? userColonPassword : userColonPassword.slice(0, colonIndex);
  const hash = createHash('sha1').update(userColonPassword, 'utf8').digest('base64');
  return `${user}:${hash}`;
}

/** The digest id an ACL names for `user`: `user:` + base64(sha1(`user:password`)). */
export function digestId(user: string, password: string): string {
  return generateDigest(`${user}:${password}`);
}

/**
 * The id an `auth` packet of scheme `digest` earns. ZooKeeper accepts every payload: one without
 * a colon is hashed whole and named by itself (`nocolon` → `nocolon:` + base64(sha1(`nocolon`))),
 * an empty one becomes `:` + base64(sha1(``)); bytes that are not UTF-8 decode to U+FFFD as
 * Java's `new String(bytes)` does. So this never fails and always answers OK.
 */
export function authenticateDigest(auth: Buffer): Id {
  return { scheme: digestScheme, id: generateDigest(auth.toString('utf8')) };
}

/**
 * Whether an authenticated digest id is the super user: ZooKeeper compares the generated digest
 * with the configured `DigestAuthenticationProvider.superDigest` value (`super:<base64>`) as
 * plain strings, so the user part must match too. No superDigest configured means no super user.
 */
export function isSuperDigest(id: Id, superDigest: string | undefined): boolean {
  return superDigest !== undefined && id.scheme === digestScheme && id.id === superDigest;
}

/**
 * Every id ZooKeeper adds to the connection for one `auth digest` packet, in its order:
 * `super:` first when the digest equals superDigest, then the digest id itself. The connection
 * keeps a set, so adding an id it already holds changes nothing.
 */
export function digestAuthIds(auth: Buffer, superDigest: string | undefined): Id[] {
  const id = authenticateDigest(auth);
  return isSuperDigest(id, superDigest) ? [{ ...superId }, id] : [id];
}
