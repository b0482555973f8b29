// The simulator's adversary: a stranger on the replicas' network whose connection got through
// (the TCP transport refuses its hello; here nothing stands between it and a replica's host).
// It sends what would hurt most if believed — votes for itself with an enormous zxid, a
// leader's LEADERINFO / DIFF / PROPOSAL / COMMIT / NEWLEADER / UPTODATE, a learner's REQUEST with
// a super-user write, ACKs for zxids nobody logged, replays of real txns, garbage — to a random
// replica, at any moment, whatever phase that replica is in. The host must drop it all: the
// run stays clean (agreement, durability, linearizability) and no forged write appears.
//
// It draws from its own seeded generator and its frames are delivered at once, so a schedule
// with the stranger is the same schedule as without it unless a forged frame changes something
// (which is the bug it looks for); regression seeds found before it keep their meaning.
import { encodePeerMessage } from '../protocol/peer-codec.js';
import type { PeerMessage, ServerId } from '../protocol/peer.js';
import type { Txn } from '../protocol/txn.js';
import { makeZxid } from '../protocol/zxid.js';
import type { Cluster } from './cluster.js';
import { SeededRandom } from './random.js';

/** The stranger's id: outside every ensemble the simulator builds. */
export const strangerId: ServerId = 4_000_000;
/** Paths the stranger's writes create; a replica holding one believed the stranger. */
export const forgedPathPrefix = '/forged-by-stranger';
/** Chance per step that the stranger sends something. */
export const strangerChance = 0.004;

const forgedKinds = [
  'vote',
  'leaderInfo',
  'diff',
  'trunc',
  'proposal',
  'commit',
  'newLeader',
  'upToDate',
  'inform',
  'followerInfo',
  'ackEpoch',
  'ack',
  'request',
  'revalidate',
  'ping',
  'replay',
  'garbage',
] as const;

export class Stranger {
  private readonly random: SeededRandom;
  private attached = false;
  sent = 0;
  /** Forged writes made so far (their paths end -1 … -forged). */
  private forged = 0;

  /**
   * `passesAsMember`: the broken transport variant (`--variant identityHole`), where the
   * stranger's hello claiming a member's id is believed and its frames arrive on that member's
   * link, as they did before hellos were verified. The simulator must catch it.
   */
  constructor(
    seed: number,
    private readonly passesAsMember = false,
  ) {
    // Its own stream: drawing from the cluster's would change every schedule.
    this.random = new SeededRandom(seed ^ 0x5712_a9e5);
  }

  /** Called once per simulation step: sometimes sends one forged frame to a running replica. */
  maybeAct(cluster: Cluster): void {
    if (!this.random.chance(strangerChance)) return;
    const targets = cluster.running();
    if (targets.length === 0) return;
    const target = this.random.pick(targets);
    if (this.passesAsMember) {
      // As the member the target listens to most: its leader, when it has one.
      const role = cluster.replica(target).role;
      const others = cluster.members.filter((id) => id !== target);
      const leader = role.leaderId;
      const claimed = leader !== undefined && leader !== null && leader !== target
        ? leader
        : this.random.pick(others);
      cluster.network.transmit(claimed, target, this.frame(cluster));
      this.sent += 1;
      return;
    }
    if (!this.attached) {
      cluster.network.transport(strangerId);
      this.attached = true;
    }
    cluster.network.transmit(strangerId, target, this.frame(cluster));
    this.sent += 1;
    // Delivered now, both ways, and the connection closed: nothing of the stranger's waits in
    // the network (or is left for a later crash or partition to report) for the schedule to
    // pick, so the schedule is the one the seed makes without it.
    const itemsMax = 1_000;
    const deliverBothWays = () => {
      cluster.network.deliver(strangerId, target, itemsMax);
      cluster.network.deliver(target, strangerId, itemsMax);
    };
    deliverBothWays();
    if (cluster.network.isConnected(strangerId, target)) {
      cluster.network.reset(strangerId, target);
      deliverBothWays();
    }
  }

  private frame(cluster: Cluster): Uint8Array {
    const kind = this.random.pick(forgedKinds);
    if (kind === 'garbage') {
      const bytes = new Uint8Array(1 + this.random.int(64));
      for (let index = 0; index < bytes.length; index++) bytes[index] = this.random.int(256);
      return bytes;
    }
    return encodePeerMessage(this.message(kind, cluster));
  }

  private message(
    kind: Exclude<(typeof forgedKinds)[number], 'garbage'>,
    cluster: Cluster,
  ): PeerMessage {
    const epoch = 1_000 + this.random.int(1_000);
    const zxid = makeZxid(epoch, 1 + this.random.int(100));
    switch (kind) {
      case 'vote':
        return {
          type: 'notification',
          vote: { leaderId: strangerId, zxid, peerEpoch: epoch },
          round: 1_000 + this.random.int(1_000),
          state: this.random.chance(0.5) ? 'leading' : 'looking',
        };
      case 'leaderInfo':
        return { type: 'leaderInfo', newEpoch: epoch, protocolVersion: 1 };
      case 'diff':
        return { type: 'diff', zxid };
      case 'trunc':
        return { type: 'trunc', zxid: this.random.int(3) };
      case 'proposal':
        return { type: 'proposal', txns: [this.forgedTxn(zxid)] };
      case 'commit':
        return { type: 'commit', zxid: this.randomKnownZxid(cluster) ?? zxid };
      case 'newLeader':
        return { type: 'newLeader', zxid };
      case 'upToDate':
        return { type: 'upToDate' };
      case 'inform':
        return { type: 'inform', txn: this.forgedTxn(zxid) };
      case 'followerInfo':
        return { type: 'followerInfo', acceptedEpoch: epoch, protocolVersion: 1 };
      case 'ackEpoch':
        return { type: 'ackEpoch', currentEpoch: epoch, lastZxid: zxid };
      case 'ack':
        return { type: 'ack', zxid: this.randomKnownZxid(cluster) ?? zxid };
      case 'request': {
        const { body } = this.forgedTxn(zxid);
        if (body.type !== 'write') throw new Error('a forged txn is a write');
        return { type: 'request', requests: [{ sessionId: 1n, cxid: 1, body }] };
      }
      case 'revalidate':
        return { type: 'revalidate', sessionId: 1n, timeoutMs: 30_000 };
      case 'ping':
        return { type: 'ping', touches: [{ sessionId: 1n, timeoutMs: 30_000 }] };
      case 'replay': {
        // A real txn, as its leader sent it: a replayed PROPOSAL (or its COMMIT).
        const txns = cluster.ledger.committedTxns();
        if (txns.length === 0) return { type: 'upToDate' };
        const txn = this.random.pick(txns);
        return this.random.chance(0.5)
          ? { type: 'proposal', txns: [txn] }
          : { type: 'commit', zxid: txn.zxid };
      }
    }
  }

  /** Violations if any running replica holds a node the stranger forged. */
  violations(cluster: Cluster): string[] {
    const violations: string[] = [];
    for (const id of cluster.running()) {
      const tree = cluster.replica(id).core.tree;
      for (let index = 1; index <= this.forged; index++) {
        if (tree.peek(`${forgedPathPrefix}-${index}`) === undefined) continue;
        violations.push(`stranger: replica ${id} holds ${forgedPathPrefix}-${index}`);
        break;
      }
    }
    return violations;
  }

  private randomKnownZxid(cluster: Cluster): number | undefined {
    const zxids = cluster.ledger.zxids();
    return zxids.length === 0 ? undefined : this.random.pick(zxids);
  }

  /** A write of a path under forgedPathPrefix, marked as the super user's. */
  private forgedTxn(zxid: number): Txn {
    this.forged += 1;
    return {
      zxid,
      time: 0,
      sessionId: 0n,
      cxid: 0,
      body: {
        type: 'write',
        request: {
          kind: 'create',
          opcode: 1,
          path: `${forgedPathPrefix}-${this.forged}`,
          data: Buffer.from('forged'),
          acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }],
          flags: 0,
          ttl: -1,
        },
        auth: { ids: [{ scheme: 'super', id: '' }], superUser: true },
      },
    };
  }
}

