// What the leader stamps into a request before its machine orders it, whatever the learner that
// forwarded it sent: the leader's own settings and checks, made against the leader's tree and
// session table (ZooKeeper makes them in the leader's PrepRequestProcessor).
import type { ClientRequestEntry, ForwardedTxnRequest } from '../../machines/replica-context.js';
import type { ServerId } from '../../protocol/peer.js';
import { Perm } from '../../protocol/constants.js';
import type { ReconfigRequestBody, RequestBody } from '../../protocol/txn.js';
import type { ServerCore } from '../server/server-core.js';
import { checkedForOwner, passesAsLocalSession } from './serving.js';

export interface LeaderStamps {
  enforceQuota: boolean;
  aclChecksSkipped: boolean;
  localSession: boolean;
}

/** A forwarded write as the leader proposes it, whatever the learner sent: the super-user flag
 * derived from the ids the session proved (or true for every write under this leader's
 * skipACL=yes: ZooKeeper checks write ACLs on the leader alone), the leader's own enforceQuota
 * (ZooKeeper checks quotas in the leader's PrepRequestProcessor) and its session check
 * (localSession). */
export function withLeaderStamps<Body extends ForwardedTxnRequest['body']>(
  body: Body,
  { enforceQuota, aclChecksSkipped, localSession }: LeaderStamps,
): Body {
  if (body.type !== 'write') return body;
  const superUser = aclChecksSkipped || body.auth.ids.some((id) => id.scheme === 'super');
  const auth = superUser === body.auth.superUser ? body.auth : { ids: body.auth.ids, superUser };
  const { enforceQuota: _asSent, localSession: _claimed, ...write } = body;
  return {
    ...write,
    auth,
    ...(enforceQuota ? { enforceQuota } : {}),
    ...(localSession ? { localSession } : {}),
  } as Body;
}

/**
 * A reconfig's WRITE check on /zookeeper/config, made by the leader against its own tree (as
 * ZooKeeper's PrepRequestProcessor does); its machine refuses with NoAuth when it fails. The
 * super-user flag is derived again from the ids the session proved.
 */
export function withReconfigVerdict<Body extends RequestBody>(core: ServerCore, body: Body): Body {
  if (body.type !== 'reconfigRequest') return body;
  const request = body as ReconfigRequestBody;
  const superUser = request.auth.ids.some((id) => id.scheme === 'super');
  const authorized = core.settings.skipAcl || superUser ||
    core.tree.permits('/zookeeper/config', Perm.write, { ids: request.auth.ids, superUser });
  return { ...request, auth: { ids: request.auth.ids, superUser }, authorized } as Body;
}

/**
 * A learner's REQUEST as the leader orders it: stamped with the leader's clock (ctime/mtime are
 * the leader's), its enforceQuota and its skipACL, the super-user flag derived again from the ids
 * the session proved (as a client connection derives it: a flag set by the sender alone grants
 * nothing), and checked against the session's owner.
 */
export function forwardedEntries(
  core: ServerCore,
  from: ServerId,
  myId: ServerId,
  requests: readonly ForwardedTxnRequest[],
  time: number,
): ClientRequestEntry[] {
  const { enforceQuota, skipAcl } = core.settings;
  return requests.map(({ sessionId, cxid, body }) => {
    const stamped = withLeaderStamps(withReconfigVerdict(core, body), {
      enforceQuota,
      aclChecksSkipped: skipAcl,
      localSession: passesAsLocalSession(core, sessionId, myId),
    });
    return { sessionId, cxid, time, body: checkedForOwner(core, from, sessionId, stamped) };
  });
}
