// Admin command authentication as ZooKeeper 3.9 does it (actors/operations/admin-auth.ts): the
// Authorization header's scheme and credentials become ids, which must hold every bit of the
// asked permissions in the root's ACL; 401 without usable credentials, 403 without the bits.
import { describe, expect, it } from 'vitest';
import {
  authInfoMissing,
  authorizeAdminCommand,
  notAuthenticated,
  notAuthorized,
  rootAdminAuth,
  type AdminAuthContext,
} from '../../../actors/operations/admin-auth.js';
import { digestId } from '../../../actors/server/auth/digest.js';
import { Perm } from '../../../protocol/constants.js';
import type { ACL } from '../../../protocol/records.js';

const operatorId = { scheme: 'digest', id: digestId('operator', 'secret') };
const superDigest = digestId('super', 'boss');

function context(acl: readonly ACL[] | undefined, remoteAddress = '127.0.0.1'): AdminAuthContext {
  return { remoteAddress, superDigest, aclOf: (path) => (path === '/' ? acl : undefined) };
}

const openAcl: ACL[] = [{ perms: Perm.all, id: { scheme: 'world', id: 'anyone' } }];
const operatorAcl: ACL[] = [{ perms: Perm.all, id: operatorId }];

describe('authorizeAdminCommand', () => {
  it.each<[string | undefined, readonly ACL[], number, string | undefined]>([
    // The header's shape and scheme: ZooKeeper's Commands.handleAuthentication.
    [undefined, openAcl, 401, authInfoMissing],
    ['digest', openAcl, 401, notAuthenticated],
    ['digestoperator:secret', openAcl, 401, notAuthenticated],
    ['digest:operator:secret', openAcl, 401, notAuthenticated],
    ['digest  operator:secret', openAcl, 401, notAuthenticated],
    ['digest operator:secret extra', openAcl, 401, notAuthenticated],
    ['sasl operator:secret', openAcl, 401, notAuthenticated],
    ['Basic b3BlcmF0b3I6c2VjcmV0', openAcl, 401, notAuthenticated],
    ['super operator:secret', openAcl, 401, notAuthenticated],
    // An open root lets any authenticated id through, as in ZooKeeper (trailing space dropped).
    ['digest anyone:anything', openAcl, 200, undefined],
    ['digest operator:secret ', openAcl, 200, undefined],
    ['ip', openAcl, 200, undefined],
    // A root ACL naming the operator: only their password, or the super user, passes.
    ['digest operator:secret', operatorAcl, 200, undefined],
    ['digest operator:wrong', operatorAcl, 403, notAuthorized],
    ['digest super:boss', operatorAcl, 200, undefined],
    ['ip', operatorAcl, 403, notAuthorized],
    ['ip', [{ perms: Perm.all, id: { scheme: 'ip', id: '127.0.0.0/8' } }], 200, undefined],
    // Each bit on its own: READ|WRITE|CREATE|DELETE and ADMIN from two entries still count,
    // but ADMIN alone does not make ALL.
    ['digest operator:secret', [
      { perms: Perm.all & ~Perm.admin, id: operatorId },
      { perms: Perm.admin, id: { scheme: 'world', id: 'anyone' } },
    ], 200, undefined],
    ['digest operator:secret', [{ perms: Perm.admin, id: operatorId }], 403, notAuthorized],
    // An empty ACL allows everything, as ZooKeeper's checkACL does.
    ['digest x:y', [], 200, undefined],
  ])('%j against %j → %i', (header, acl, status, error) => {
    const outcome = authorizeAdminCommand(header, rootAdminAuth, context(acl));
    const answer = outcome.allowed
      ? { status: 200 }
      : { status: outcome.status, error: outcome.error };
    expect(answer).toEqual(error === undefined ? { status } : { status, error });
  });

  it('answers 500 when the node it checks does not exist (ZooKeeper: NoNodeException)', () => {
    expect(authorizeAdminCommand('digest a:b', { perms: Perm.all, path: '/gone' }, context([])))
      .toEqual({ allowed: false, status: 500, error: 'Error occurred during auth' });
  });

  it('takes the ip id from the connection, whatever the header carries after the scheme', () => {
    const acl: ACL[] = [{ perms: Perm.all, id: { scheme: 'ip', id: '10.0.0.7' } }];
    expect(authorizeAdminCommand('ip 127.0.0.1', rootAdminAuth, context(acl, '10.0.0.7')))
      .toEqual({ allowed: true });
    expect(authorizeAdminCommand('ip 10.0.0.7', rootAdminAuth, context(acl, '127.0.0.1')))
      .toMatchObject({ allowed: false, status: 403 });
    expect(authorizeAdminCommand('ip', rootAdminAuth, context(acl, '::ffff:10.0.0.7')))
      .toEqual({ allowed: true });
  });
});
