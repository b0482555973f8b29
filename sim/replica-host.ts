// One replica in the simulated world: the real replica machine with its effects provided over the
// memory network (real peer codec), the simulated storage and its own DataTree. This is the sim's
// composition root for one replica; actors/ is production's.
import { createActor, type Actor, type SimulatedClock } from 'xstate';
import {
  peerEventOf,
  replicaMachine,
  type ReplicaEvent,
  type ReplicaTiming,
  type RoleAnnouncement,
  type SyncStreamParams,
} from '../machines/replica.js';
import type { ElectionTiming } from '../machines/election.js';
import type { ForwardedTxnRequest } from '../machines/replica-context.js';
import { decodePeerMessage, encodePeerMessage } from '../protocol/peer-codec.js';
import { syncStreamMessages } from '../protocol/sync-stream.js';
import type { PeerMessage, ServerId, TreeSnapshot, Zxid } from '../protocol/peer.js';
import type { MemoryNetwork } from '../transport/memory.js';
import type { Transport } from '../transport/transport.js';
import { DataTree } from '../tree/data-tree.js';
import type { Txn } from '../tree/txn.js';
import type { CommitLedger } from './invariants.js';
import type { SimulatedStorage } from './storage.js';
import { restoreTree, snapshotOfTree } from '../storage/peer-snapshot.js';

export type ReplicaMachine = typeof replicaMachine;

export interface ReplicaHostOptions {
  id: ServerId;
  voters: readonly ServerId[];
  network: MemoryNetwork;
  clock: SimulatedClock;
  storage: SimulatedStorage;
  ledger: CommitLedger;
  timing?: Partial<ReplicaTiming>;
  electionTiming?: Partial<ElectionTiming>;
  /** The machine to run: the real one, or a deliberately broken variant. */
  machine?: ReplicaMachine;
}

/** The last zxid of each epoch among `zxids` (ascending). */
function epochEndsOf(zxids: readonly Zxid[]): Zxid[] {
  const ends = new Map<number, Zxid>();
  for (const zxid of zxids) ends.set(Math.floor(zxid / 2 ** 32), zxid);
  return [...ends.values()].sort((first, second) => first - second);
}

/** `{ leading: { phase: 'broadcast', liveness: 'ticking' } }` → its leaf paths, dotted. */
export function leafPathsOf(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [`${prefix}${value}`];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => leafPathsOf(child, `${prefix}${key}.`));
}

export class SimReplica {
  readonly id: ServerId;
  tree = new DataTree();
  role: RoleAnnouncement = { state: 'looking', leaderId: null, epoch: 0, serving: false };
  /** Every sync plan this replica (as leader) chose, for tests to assert on. */
  readonly syncPlans: Array<{ to: ServerId; mode: SyncStreamParams['plan']['mode'] }> = [];
  readonly actor: Actor<ReplicaMachine>;
  private readonly transport: Transport;
  /** Every leaf state path (`leading.phase.broadcast`) this replica has been in. */
  readonly visited = new Set<string>();
  /** Highest zxid this incarnation reported to the ledger. */
  private ledgerZxid = 0;

  constructor(private readonly options: ReplicaHostOptions) {
    this.id = options.id;
    this.transport = options.network.transport(options.id);
    const durable = options.storage.durable;
    this.rebuildTree();
    const snapshotZxids = durable.snapshot === null ? [] : [durable.snapshot.zxid];
    const zxids = [...snapshotZxids, ...durable.log.map((txn) => txn.zxid)];
    const input = {
      myId: options.id,
      voters: options.voters,
      acceptedEpoch: durable.acceptedEpoch,
      currentEpoch: durable.currentEpoch,
      lastZxid: zxids[zxids.length - 1] ?? 0,
      firstZxid: zxids[0] ?? 0,
      epochEnds: epochEndsOf(zxids),
      timing: options.timing,
      electionTiming: options.electionTiming,
    };
    const machine = (options.machine ?? replicaMachine).provide({ actions: this.effects() });
    this.actor = createActor(machine, { input, clock: options.clock });
    this.actor.subscribe((snapshot) => {
      for (const path of leafPathsOf(snapshot.value)) this.visited.add(path);
    });
    this.transport.on('frame', (from, frame) => {
      const decoded = decodePeerMessage(frame);
      if (!decoded.ok) throw decoded.error;
      this.actor.send(peerEventOf(from, decoded.message));
    });
    this.transport.on('connected', (peer) => this.actor.send({ type: 'peer.connected', peer }));
    this.transport.on('disconnected', (peer) => {
      this.actor.send({ type: 'peer.disconnected', peer });
    });
  }

  start(): void {
    this.actor.start();
  }

  /** Crash: the machine stops, connections break, queued writes are lost. */
  crash(): void {
    this.actor.stop();
    this.transport.close({ reason: 'closed', detail: 'crash' });
    this.options.storage.crash();
  }

  /** Makes up to `count` queued writes durable and tells the machine. */
  flushStorage(count?: number): number {
    const events = this.options.storage.flush(count);
    for (const event of events) this.send(event);
    return events.length;
  }

  send(event: ReplicaEvent): void {
    this.actor.send(event);
  }

  get storage(): SimulatedStorage {
    return this.options.storage;
  }

  /** ZooKeeper's restart: the snapshot, then every logged txn (committed or not) replayed. */
  private rebuildTree(throughZxid = Number.POSITIVE_INFINITY): void {
    const view = this.options.storage.view;
    this.tree = new DataTree();
    if (view.snapshot !== null) restoreTree(this.tree, view.snapshot.snapshot);
    for (const txn of view.log) if (txn.zxid <= throughZxid) this.tree.apply(txn);
  }

  private sendPeer(to: ServerId, message: PeerMessage): void {
    this.transport.send(to, encodePeerMessage(message));
  }

  private applyCommitted(zxid: Zxid): void {
    const view = this.options.storage.view;
    const known = view.log[view.log.length - 1]?.zxid ?? view.snapshot?.zxid ?? 0;
    if (zxid > known) this.options.ledger.violate(`replica ${this.id} commits unknown ${zxid}`);
    for (const txn of view.log) {
      if (txn.zxid > zxid) break;
      if (txn.zxid > this.tree.lastZxid) this.tree.apply(txn);
      if (txn.zxid > this.ledgerZxid) this.options.ledger.record(this.id, txn);
    }
    this.ledgerZxid = Math.max(this.ledgerZxid, zxid);
  }

  private sendSyncStream({ to, plan, committedZxid, throughZxid }: SyncStreamParams): void {
    this.syncPlans.push({ to, mode: plan.mode });
    let afterZxid: Zxid;
    if (plan.mode === 'diff') {
      this.sendPeer(to, { type: 'diff', zxid: committedZxid });
      afterZxid = plan.afterZxid;
    } else if (plan.mode === 'trunc') {
      this.sendPeer(to, { type: 'trunc', zxid: plan.truncateToZxid });
      afterZxid = plan.truncateToZxid;
    } else {
      const snapshot: TreeSnapshot = snapshotOfTree(this.tree);
      afterZxid = this.tree.lastZxid;
      this.sendPeer(to, { type: 'snap', zxid: afterZxid, snapshot });
    }
    const stream = this.options.storage.view.log.filter(
      (txn) => txn.zxid > afterZxid && txn.zxid <= throughZxid,
    );
    for (const message of syncStreamMessages(stream, committedZxid)) this.sendPeer(to, message);
  }

  private effects() {
    const storage = this.options.storage;
    return {
      sendPeerMessage: (_: unknown, { to, message }: { to: ServerId; message: PeerMessage }) =>
        this.sendPeer(to, message),
      connectToLeader: () => undefined,
      persistAcceptedEpoch: (_: unknown, { epoch }: { epoch: number }) =>
        storage.write({ kind: 'epoch', which: 'accepted', epoch }),
      persistCurrentEpoch: (_: unknown, { epoch }: { epoch: number }) =>
        storage.write({ kind: 'epoch', which: 'current', epoch }),
      appendProposals: (_: unknown, { txns }: { txns: Txn[] }) => {
        for (const txn of txns) storage.write({ kind: 'append', txn });
      },
      truncateLog: (_: unknown, { zxid }: { zxid: Zxid }) => {
        storage.write({ kind: 'truncate', zxid });
        if (this.tree.lastZxid > zxid) this.rebuildTree(zxid);
      },
      loadSnapshot: (_: unknown, { zxid, snapshot }: { zxid: Zxid; snapshot: TreeSnapshot }) => {
        storage.write({ kind: 'snapshot', zxid, snapshot });
        this.tree = new DataTree();
        restoreTree(this.tree, snapshot);
      },
      applyCommitted: (_: unknown, { zxid }: { zxid: Zxid }) => this.applyCommitted(zxid),
      sendSyncStream: (_: unknown, params: SyncStreamParams) => this.sendSyncStream(params),
      acceptForwardedRequests: (
        _: unknown,
        { requests }: { from: ServerId; requests: ForwardedTxnRequest[] },
      ) => {
        const time = this.options.clock.now();
        const entries = requests.map((request) => ({ ...request, time }));
        this.actor.send({ type: 'client.requests', requests: entries });
      },
      announceRole: (_: unknown, role: RoleAnnouncement) => {
        this.role = role;
      },
      // The simulator's clients hold no sessions of their own yet: nothing to touch or answer.
      touchSessions: () => undefined,
      answerSync: () => undefined,
    };
  }
}
