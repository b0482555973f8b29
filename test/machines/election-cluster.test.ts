// Fast leader election across whole ensembles: election actors joined by the memory transport
// and the real peer codec, one SimulatedClock for all. The tiny harness below plays the host:
// it feeds notifications to a looking replica and, once one has decided, answers lookers with
// its settled vote (ZooKeeper's WorkerReceiver), as the replica machine will.
import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock, type Actor } from 'xstate';
import {
  electionMachine,
  settledNotification,
  type ElectionDecision,
} from '../../machines/election.js';
import { compareVotes } from '../../machines/zab-rules.js';
import { containsQuorum, majorityRule } from '../../machines/quorum.js';
import { makeZxid } from '../../protocol/zxid.js';
import { decodePeerMessage, encodePeerMessage } from '../../protocol/peer-codec.js';
import type { Notification, Vote } from '../../protocol/peer.js';
import { MemoryNetwork } from '../../transport/memory.js';
import type { Transport } from '../../transport/transport.js';

interface ReplicaHistory {
  lastZxid: number;
  currentEpoch: number;
}

const stepMs = 50;
const emptyHistory: ReplicaHistory = { lastZxid: 0, currentEpoch: 0 };

class ElectionCluster {
  readonly clock = new SimulatedClock();
  readonly network = new MemoryNetwork();
  readonly decisions = new Map<number, ElectionDecision>();
  private readonly actors = new Map<number, Actor<typeof electionMachine>>();
  private readonly transports = new Map<number, Transport>();

  constructor(
    private readonly voters: number[],
    private readonly observers: number[] = [],
    private readonly histories = new Map<number, ReplicaHistory>(),
  ) {}

  /** Starts (or restarts) looking; `lastRound` carries the logical clock across elections. */
  start(id: number, lastRound = 0): void {
    const transport = this.transports.get(id) ?? this.attach(id);
    const send = (to: number, notification: Notification) =>
      transport.send(to, encodePeerMessage(notification));
    const machine = electionMachine.provide({
      actions: {
        sendNotification: (_, { to, notification }) => send(to, notification),
        broadcastNotification: (_, { notification }) => {
          for (const voter of this.voters) if (voter !== id) send(voter, notification);
        },
        decide: (_, decision) => void this.decisions.set(id, decision),
      },
    });
    this.decisions.delete(id);
    const history = this.histories.get(id) ?? emptyHistory;
    const input = { myId: id, voters: this.voters, ...history, lastRound };
    const actor = createActor(machine, { input, clock: this.clock });
    this.actors.set(id, actor);
    actor.start();
  }

  /** The host side: looking replicas get notifications, decided ones answer lookers. */
  private attach(id: number): Transport {
    const transport = this.network.transport(id);
    this.transports.set(id, transport);
    transport.on('connected', (peer) => {
      if (!this.decisions.has(id)) this.actors.get(id)?.send({ type: 'peer.connected', peer });
    });
    transport.on('frame', (from, frame) => {
      const decoded = decodePeerMessage(frame);
      if (!decoded.ok) throw decoded.error;
      if (decoded.message.type !== 'notification') throw new Error('not a notification');
      const notification = decoded.message;
      const decision = this.decisions.get(id);
      if (decision === undefined) {
        this.actors.get(id)?.send({ type: 'peer.notification', from, notification });
      } else if (notification.state === 'looking') {
        transport.send(from, encodePeerMessage(settledNotification(decision)));
      }
    });
    return transport;
  }

  crash(id: number): void {
    this.actors.get(id)?.stop();
    this.transports.get(id)?.close();
    this.actors.delete(id);
    this.transports.delete(id);
    this.decisions.delete(id);
  }

  /** Delivers and advances time until every running replica decided, or `timeMsMax` passes. */
  settle(timeMsMax = 10_000): void {
    for (let elapsedMs = 0; ; elapsedMs += stepMs) {
      this.network.deliverAll();
      const undecided = [...this.actors.keys()].filter((id) => !this.decisions.has(id));
      if (undecided.length === 0 || elapsedMs >= timeMsMax) return;
      this.clock.increment(stepMs);
    }
  }

  /** Every running replica decided, on one leader and epoch, with roles that fit. */
  expectOneLeader(): number {
    expect([...this.actors.keys()].filter((id) => !this.decisions.has(id))).toEqual([]);
    const leaders = [...this.decisions].filter(([, decision]) => decision.role === 'leading');
    expect(leaders).toHaveLength(1);
    const leaderId = leaders[0]?.[0] as number;
    for (const [id, decision] of this.decisions) {
      expect(decision.leaderId).toBe(leaderId);
      expect(decision.epoch).toBe(this.decisions.get(leaderId)?.epoch);
      const follower = this.observers.includes(id) ? 'observing' : 'following';
      expect(decision.role).toBe(id === leaderId ? 'leading' : follower);
    }
    return leaderId;
  }

  /**
   * Replicas whose decision discovery would reject: a follower of a replica that is not leading,
   * or a leader without a quorum following it. Undecided replicas are not listed.
   */
  unestablished(): number[] {
    const supporters = (leaderId: number) =>
      [...this.decisions]
        .filter(([, decision]) => decision.leaderId === leaderId)
        .map(([id]) => id);
    const isEstablished = (leaderId: number) =>
      this.decisions.get(leaderId)?.role === 'leading' &&
      containsQuorum(majorityRule(this.voters), supporters(leaderId));
    return [...this.decisions]
      .filter(([, decision]) => !isEstablished(decision.leaderId))
      .map(([id]) => id);
  }
}

function createCluster(
  voters: number[],
  observers: number[] = [],
  histories = new Map<number, ReplicaHistory>(),
): ElectionCluster {
  return new ElectionCluster(voters, observers, histories);
}

function permutations(ids: number[]): number[][] {
  if (ids.length <= 1) return [ids];
  return ids.flatMap((id) =>
    permutations(ids.filter((other) => other !== id)).map((rest) => [id, ...rest]),
  );
}

function voteOf(id: number, history: ReplicaHistory): Vote {
  return { leaderId: id, zxid: history.lastZxid, peerEpoch: history.currentEpoch };
}

/** The replica a correct election must pick among `ids`: the best vote by (epoch, zxid, id). */
function bestOf(ids: number[], histories: Map<number, ReplicaHistory>): number {
  const empty = { lastZxid: 0, currentEpoch: 0 };
  const historyOf = (id: number) => histories.get(id) ?? empty;
  return ids.reduce((best, id) =>
    compareVotes(voteOf(id, historyOf(id)), voteOf(best, historyOf(best))) > 0 ? id : best,
  );
}

function historiesOf(ids: number[], history: (id: number) => ReplicaHistory) {
  return new Map(ids.map((id) => [id, history(id)]));
}

const three = [1, 2, 3];
const five = [1, 2, 3, 4, 5];

describe.each([
  ['R=3', three],
  ['R=5', five],
])('fast leader election (%s)', (_size, voters) => {
  const quorum = Math.floor(voters.length / 2) + 1;

  it.each(permutations(voters).map((order) => [order.join(',')]))(
    'elects the highest id when all start together (order %s)',
    (order) => {
      const cluster = createCluster(voters);
      for (const id of order.split(',').map(Number)) cluster.start(id);
      cluster.settle();
      expect(cluster.expectOneLeader()).toBe(Math.max(...voters));
    },
  );

  it.each(permutations(voters).map((order) => [order.join(',')]))(
    'elects among the first quorum and the rest learn it when starts are staggered (order %s)',
    (orderText) => {
      const order = orderText.split(',').map(Number);
      const cluster = createCluster(voters);
      for (const id of order) {
        cluster.start(id);
        cluster.settle(1_000);
      }
      cluster.settle();
      expect(cluster.expectOneLeader()).toBe(Math.max(...order.slice(0, quorum)));
    },
  );

  it('elects the replica with the highest zxid, whatever its id', () => {
    const histories = historiesOf(voters, (id) => ({
      lastZxid: makeZxid(3, 10 + id),
      currentEpoch: 3,
    }));
    histories.set(1, { lastZxid: makeZxid(3, 99), currentEpoch: 3 });
    for (const order of permutations(voters).slice(0, 24)) {
      const cluster = createCluster(voters, [], histories);
      for (const id of order) cluster.start(id);
      cluster.settle();
      expect(cluster.expectOneLeader()).toBe(1);
    }
  });

  it('ranks by epoch before zxid, and by id on a full tie', () => {
    const histories = historiesOf(voters, () => ({ lastZxid: makeZxid(2, 50), currentEpoch: 2 }));
    // 2 accepted epoch 3 (NEWLEADER) but logged nothing in it yet: it still outranks zxid 2:50.
    histories.set(2, { lastZxid: makeZxid(2, 7), currentEpoch: 3 });
    const cluster = createCluster(voters, [], histories);
    for (const id of voters) cluster.start(id);
    cluster.settle();
    expect(cluster.expectOneLeader()).toBe(bestOf(voters, histories));
    expect(cluster.expectOneLeader()).toBe(2);
    expect(cluster.decisions.get(1)?.epoch).toBe(3);
  });

  it('lets a better vote that arrives within finalizeWait win', () => {
    const cluster = createCluster(voters);
    const late = Math.max(...voters);
    for (const id of voters) if (id !== late) cluster.start(id);
    cluster.network.deliverAll();
    cluster.clock.increment(150);
    cluster.start(late);
    cluster.settle();
    expect(cluster.expectOneLeader()).toBe(late);
  });

  it('rejoins a settled ensemble: a restarted follower learns the leader, who stays', () => {
    const cluster = createCluster(voters);
    for (const id of voters) cluster.start(id);
    cluster.settle();
    const leaderId = cluster.expectOneLeader();
    const epoch = cluster.decisions.get(leaderId)?.epoch;
    for (const follower of voters.filter((id) => id !== leaderId)) {
      cluster.crash(follower);
      cluster.start(follower);
      cluster.settle();
      expect(cluster.expectOneLeader()).toBe(leaderId);
      expect(cluster.decisions.get(follower)?.epoch).toBe(epoch);
    }
  });

  it('after the leader dies, the survivors elect the one with the most recent log', () => {
    const histories = historiesOf(voters, (id) => ({ lastZxid: makeZxid(1, id), currentEpoch: 1 }));
    const cluster = createCluster(voters, [], histories);
    for (const id of voters) cluster.start(id);
    cluster.settle();
    const leaderId = cluster.expectOneLeader();
    expect(leaderId).toBe(Math.max(...voters));
    histories.set(1, { lastZxid: makeZxid(1, 100), currentEpoch: 1 });
    cluster.crash(leaderId);
    const survivors = voters.filter((id) => id !== leaderId);
    for (const id of survivors) cluster.start(id, cluster.decisions.get(id)?.round ?? 1);
    cluster.settle();
    expect(cluster.expectOneLeader()).toBe(1);
  });

  it('cannot elect with only a minority up, however long it waits (10 simulated minutes)', () => {
    const cluster = createCluster(voters);
    const minority = voters.slice(0, quorum - 1);
    for (const id of minority) cluster.start(id);
    cluster.settle(600_000);
    expect(cluster.decisions.size).toBe(0);
    // Resends back off to once a minute: the traffic stays bounded.
    expect(cluster.network.statistics.framesSent).toBeLessThan(40 * voters.length);
  });

  it('elects on the majority side of a partition while the minority keeps looking', () => {
    const cluster = createCluster(voters);
    const minority = voters.slice(quorum);
    for (const id of minority) cluster.network.isolate(id);
    for (const id of voters) cluster.start(id);
    cluster.settle(5_000);
    const majority = voters.slice(0, quorum);
    expect([...cluster.decisions.keys()].sort()).toEqual(majority);
    cluster.network.healAll();
    cluster.settle(120_000);
    expect(cluster.expectOneLeader()).toBe(Math.max(...majority));
  });

  // With notifications lost, FLE alone may leave a replica following a leader that never
  // establishes; Zab's discovery then sends it back to looking (initLimit). The harness plays
  // that part, and the ensemble must converge on one leader every time.
  it('converges despite lost notifications (20 seeds, 20% of deliveries dropped)', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const cluster = createCluster(voters);
      let state = seed * 7919;
      const random = () => (state = (state * 48271) % 0x7fffffff) / 0x7fffffff;
      for (const id of voters) cluster.start(id);
      for (let step = 0; step < 400 && cluster.decisions.size < voters.length; step++) {
        for (const { from, to } of cluster.network.pendingLinks()) {
          if (random() < 0.2) cluster.network.dropNext(from, to);
          else cluster.network.deliver(from, to);
        }
        cluster.clock.increment(stepMs);
      }
      for (let attempt = 0; attempt < 10 && cluster.unestablished().length > 0; attempt++) {
        for (const id of cluster.unestablished()) {
          cluster.start(id, cluster.decisions.get(id)?.round ?? 0);
        }
        cluster.settle(300_000);
      }
      cluster.expectOneLeader();
    }
  });
});

describe('fast leader election with observers', () => {
  it('observers learn the leader the voters elect and never lead (3 voters, 2 observers)', () => {
    const histories = new Map([[4, { lastZxid: makeZxid(9, 9), currentEpoch: 9 }]]);
    for (const order of permutations([1, 2, 3, 4, 5]).filter((_, index) => index % 7 === 0)) {
      const cluster = createCluster(three, [4, 5], histories);
      for (const id of order) cluster.start(id);
      cluster.settle();
      expect(cluster.expectOneLeader()).toBe(3);
    }
  });

  it('an observer joining a settled ensemble learns its leader', () => {
    const cluster = createCluster(three, [4]);
    for (const id of three) cluster.start(id);
    cluster.settle();
    cluster.start(4);
    cluster.settle();
    expect(cluster.expectOneLeader()).toBe(3);
    expect(cluster.decisions.get(4)?.role).toBe('observing');
  });

  it('observers do not make a quorum (1 voter of 3 plus 2 observers stay looking)', () => {
    const cluster = createCluster(three, [4, 5]);
    for (const id of [1, 4, 5]) cluster.start(id);
    cluster.settle(60_000);
    expect(cluster.decisions.size).toBe(0);
  });
});

describe('an ensemble of one', () => {
  it('elects itself after finalizeWait', () => {
    const cluster = createCluster([1]);
    cluster.start(1);
    cluster.settle();
    expect(cluster.expectOneLeader()).toBe(1);
    expect(cluster.clock.now()).toBe(200);
  });
});
