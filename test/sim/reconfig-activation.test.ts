// The old quorum's acknowledgement is what makes activating a configuration safe, shown step by
// step over the cluster harness: the old voters but the leader are paused as the leader is asked
// to add two voters, the leader crashes once the reconfig is settled, and the old voters come
// back. The real machine cannot commit without them, so nothing is lost; a leader that activates
// on the new configuration's ACKs alone (sim/variants.ts activateWithoutOldQuorum) commits it,
// and the old voters, who never had it, elect a leader of their own without it.
import { describe, expect, it } from 'vitest';
import { Cluster } from '../../sim/cluster.js';
import type { ReplicaMachine } from '../../sim/replica-host.js';
import { activateWithoutOldQuorumMachine } from '../../sim/variants.js';
import type { ReconfigRequestBody } from '../../protocol/txn.js';

const joining = [4, 5].map((id) => `server.${id}=replica-${id}:2888:3888:participant;2181`);
const addTwo: ReconfigRequestBody = {
  type: 'reconfigRequest',
  joining: joining.join(','),
  leaving: null,
  newMembers: null,
  fromConfig: -1,
  auth: { ids: [{ scheme: 'super', id: 'super' }], superUser: true },
  authorized: true,
};

async function leaderCrashMidReconfig(machine?: ReplicaMachine) {
  const cluster = new Cluster({
    voters: [1, 2, 3],
    spares: [4, 5],
    seed: 5,
    ...(machine === undefined ? {} : { machine }),
  });
  await cluster.startAll();
  const leader = await cluster.stabilize();
  await cluster.openSession();
  const oldVoters = [1, 2, 3].filter((id) => id !== leader);
  for (const id of oldVoters) cluster.pause(id);
  expect(cluster.submit(addTwo, leader)).toBe(true);
  await cluster.settle();
  const activated = cluster.replica(leader).host.activeMembership.version;
  cluster.crash(leader);
  for (const id of oldVoters) cluster.resume(id);
  await cluster.run(5_000);
  return { cluster, activated };
}

describe('activation needs the old quorum (leader crash mid-reconfig, R=3 adding 2)', () => {
  it('the real machine does not activate without the old voters, and loses nothing', async () => {
    const { cluster, activated } = await leaderCrashMidReconfig();
    expect(activated).toBe(0);
    expect(cluster.checkInvariants()).toEqual([]);
  });

  it('activateWithoutOldQuorum activates, and the old voters lose the committed reconfig', async () => {
    const { cluster, activated } = await leaderCrashMidReconfig(activateWithoutOldQuorumMachine);
    expect(activated).toBeGreaterThan(0);
    expect(cluster.ledger.txnAt(activated)?.body.type).toBe('reconfig');
    const lost = `durability: committed 0x${activated.toString(16)} lost by leader`;
    expect(cluster.checkInvariants()).toContainEqual(expect.stringMatching(new RegExp(`^${lost}`)));
  });
});
