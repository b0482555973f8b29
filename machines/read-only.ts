// ZooKeeper's read-only mode as the looking replica's sub-states: with readonlymode.enabled, a
// replica still looking after a grace period (it is cut off from its quorum) serves reads to
// clients that allow it, until the election ends (QuorumPeer's LOOKING case, its roZkMgr thread).
import type { ReplicaSetup } from './replica-setup.js';
import type { ReplicaContext, RoleAnnouncement, Step } from './replica-context.js';

/** ZooKeeper waits at least this long before it believes it is partitioned. */
export const readOnlyGraceMsMinimum = 2000;

/**
 * How long a replica looks for a leader before it serves read-only clients: one tick, but never
 * under two seconds (QuorumPeer sleeps max(2000, tickTime) before starting its read-only server).
 */
export function readOnlyGraceMs(tickMs: number): number {
  return Math.max(readOnlyGraceMsMinimum, tickMs);
}

function lookingAnnouncement(context: ReplicaContext, readOnly: boolean): RoleAnnouncement {
  const announcement: RoleAnnouncement = {
    state: 'looking',
    leaderId: null,
    epoch: context.currentEpoch,
    serving: false,
  };
  return readOnly ? { ...announcement, readOnly: true } : announcement;
}

/** The steps entering and leaving read-only service; the host starts and stops the server. */
export const readOnlySteps = {
  /** ReadOnlyZooKeeperServer.startup: serve reads from the last applied state. */
  serveReadOnly: ((context) => ({
    effects: [{ type: 'announceRole', params: lookingAnnouncement(context, true) }],
  })) as Step,
  /**
   * The election ended (lookForLeader returned): the read-only server shuts down and closes
   * every connection, before the replica takes its new role.
   */
  stopServingReadOnly: ((context) => ({
    effects: [{ type: 'announceRole', params: lookingAnnouncement(context, false) }],
  })) as Step,
};

/** The looking state's children: not serving, then (if enabled, after the grace) read-only. */
export function lookingServiceStates(machine: ReplicaSetup) {
  return {
    initial: 'notServing' as const,
    states: {
      notServing: machine.createStateConfig({
        after: { readOnlyGrace: { guard: 'isReadOnlyModeEnabled', target: 'readOnly' } },
      }),
      readOnly: machine.createStateConfig({
        entry: 'serveReadOnly',
        exit: 'stopServingReadOnly',
      }),
    },
  };
}
