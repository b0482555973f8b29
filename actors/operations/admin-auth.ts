// Authentication of admin commands as ZooKeeper 3.9's AdminServer does it (Commands.runCommand
// with a command's AuthRequest): the `Authorization` header carries `<scheme> <credentials>`,
// the scheme's provider turns it into ids, and those ids must hold every permission bit the
// command asks for in the ACL of a znode (the root). Outcomes carry 3.9's statuses and messages.
import { Perm } from '../../protocol/constants.js';
import type { ACL, Id } from '../../protocol/records.js';
import { checkPermission } from '../../tree/acl.js';
import { digestAuthIds, superId } from '../server/auth/digest.js';
import { ipId } from '../server/auth/ip.js';

/** ZooKeeper's AuthRequest: the permissions a command needs on the node at `path`. */
export interface AdminAuthRequest {
  perms: number;
  path: string;
}

/** What 3.9's snapshot and restore ask for, and corral's commands that change state too. */
export const rootAdminAuth: AdminAuthRequest = Object.freeze({ perms: Perm.all, path: '/' });

export interface AdminAuthContext {
  /** The HTTP client's address: the `ip` scheme's id (3.9 ignores any credentials for it). */
  remoteAddress: string;
  superDigest: string | undefined;
  /** The node's ACL, or undefined when it does not exist. */
  aclOf(path: string): readonly ACL[] | undefined;
}

export type AdminAuthOutcome =
  | { allowed: true }
  | { allowed: false; status: 401 | 403 | 500; error: string };

export const authInfoMissing = 'Auth info is missing for the command';
export const notAuthenticated = 'Not authenticated';
export const notAuthorized = 'Not authorized';
export const authError = 'Error occurred during auth';

/**
 * Java's `String.split(" ")`: cut at every single space, then drop trailing empty strings. So
 * `digest  a:b` (two spaces) has three parts and fails, as in ZooKeeper.
 */
function splitLikeJava(text: string): string[] {
  const parts = text.split(' ');
  while (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/**
 * Commands.handleAuthentication: one or two parts (ip and x509 take their id from the request,
 * not the header); a scheme without an HTTP provider, or a provider that fails, is
 * "Not authenticated". corral's providers over HTTP are digest and ip (no x509 without TLS).
 */
function authenticate(header: string, context: AdminAuthContext): Id[] | undefined {
  const parts = splitLikeJava(header);
  if (parts.length !== 1 && parts.length !== 2) return undefined;
  const [scheme, credentials] = parts as [string, string | undefined];
  switch (scheme) {
    case 'digest':
      // ZooKeeper's provider reads the missing credentials as null and fails.
      if (credentials === undefined) return undefined;
      return digestAuthIds(Buffer.from(credentials, 'utf8'), context.superDigest);
    case 'ip':
      try {
        return [ipId(context.remoteAddress)];
      } catch {
        return undefined;
      }
    default:
      return undefined;
  }
}

/** Commands.handleAuthorization: each permission bit is checked on its own (ZOOKEEPER-4964),
 * so two ACL entries granting half each do not add up to the whole. */
function authorized(acl: readonly ACL[], perms: number, ids: Id[]): boolean {
  const superUser = ids.some((id) => id.scheme === superId.scheme);
  for (let bit = 1; bit <= perms; bit <<= 1) {
    if ((perms & bit) === 0) continue;
    if (!checkPermission(acl, bit, { ids, superUser })) return false;
  }
  return true;
}

/** Whether the request may run a command that asks for `request`, and if not, how to answer. */
export function authorizeAdminCommand(
  header: string | undefined,
  request: AdminAuthRequest,
  context: AdminAuthContext,
): AdminAuthOutcome {
  if (header === undefined) return { allowed: false, status: 401, error: authInfoMissing };
  const ids = authenticate(header, context);
  if (ids === undefined || ids.length === 0) {
    return { allowed: false, status: 401, error: notAuthenticated };
  }
  const acl = context.aclOf(request.path);
  // ZooKeeper throws NoNodeException here, which lands in its catch-all: a 500.
  if (acl === undefined) return { allowed: false, status: 500, error: authError };
  if (!authorized(acl, request.perms, ids)) {
    return { allowed: false, status: 403, error: notAuthorized };
  }
  return { allowed: true };
}
