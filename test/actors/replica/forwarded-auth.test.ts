// A learner's REQUEST carries each write's session identities, and the leader orders the write
// with them. The super-user flag is not one of them: the leader derives it from the ids, as a
// client connection does, so a REQUEST that only sets the flag (a stranger's, or a broken
// learner's) gets NoAuth where the ACL says so, on the real host over the simulated network.
import { describe, expect, it } from 'vitest';
import { encodePeerMessage } from '../../../protocol/peer-codec.js';
import type { ACL, Id } from '../../../protocol/records.js';
import type { CreateRequest } from '../../../protocol/requests.js';
import { Cluster } from '../../../sim/cluster.js';
import { clusterSessionId, createSessionBody } from '../../../sim/cluster-support.js';

const alice: Id = { scheme: 'digest', id: 'alice:aaaaaaaaaaaaaaaaaaaaaaaaaaa=' };

function create(path: string, acl: ACL[]): CreateRequest {
  return { kind: 'create', opcode: 1, path, data: Buffer.from('x'), acl, flags: 0, ttl: -1 };
}

let cxid = 100;

async function forward(cluster: Cluster, from: number, to: number, path: string, ids: Id[],
  superUser: boolean, acl: ACL[] = [{ perms: 31, id: alice }]) {
  const body = { type: 'write' as const, request: create(path, acl), auth: { ids, superUser } };
  const message = { type: 'request' as const,
    requests: [{ sessionId: clusterSessionId, cxid: (cxid += 1), body }] };
  cluster.network.transmit(from, to, encodePeerMessage(message));
  await cluster.run(300);
}

describe('forwarded writes and the super-user flag', () => {
  it('grants nothing for the flag alone; a super id still passes', async () => {
    const cluster = new Cluster({ voters: [1, 2, 3], seed: 5 });
    await cluster.startAll();
    const leader = await cluster.stabilize();
    const follower = cluster.members.find((id) => id !== leader)!;
    const tree = () => cluster.replica(leader).core.tree;
    expect(cluster.submit(createSessionBody())).toBe(true);
    await cluster.run(300);
    await forward(cluster, follower, leader, '/locked', [alice], false);
    expect(tree().peek('/locked')).toBeDefined();

    await forward(cluster, follower, leader, '/locked/by-flag', [], true);
    expect(tree().peek('/locked/by-flag')).toBeUndefined();

    await forward(cluster, follower, leader, '/locked/by-super-id', [{ scheme: 'super', id: '' }],
      false);
    expect(tree().peek('/locked/by-super-id')).toBeDefined();
  });

  it('takes no REQUEST from a member that is not a synced learner of this epoch', async () => {
    const cluster = new Cluster({ voters: [1, 2, 3], seed: 6 });
    await cluster.startAll();
    const leader = await cluster.stabilize();
    const follower = cluster.members.find((id) => id !== leader)!;
    expect(cluster.submit(createSessionBody())).toBe(true);
    await cluster.run(300);
    // The follower's process is gone: its id is a member, but no synced learner of the leader.
    cluster.crash(follower, 0);
    await cluster.run(300);
    const open: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
    await forward(cluster, follower, leader, '/from-an-unsynced-member', [], false, open);
    expect(cluster.replica(leader).core.tree.peek('/from-an-unsynced-member')).toBeUndefined();
    // The same REQUEST from a synced learner is ordered.
    const synced = cluster.members.find((id) => id !== leader && id !== follower)!;
    await forward(cluster, synced, leader, '/from-a-synced-learner', [], false, open);
    expect(cluster.replica(leader).core.tree.peek('/from-a-synced-learner')).toBeDefined();
  });
});
