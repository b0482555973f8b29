// The messages replicas exchange: fast-leader-election notifications and the Zab quorum packets
// of discovery, synchronization and broadcast, as one discriminated union so every handler is an
// exhaustive switch. Each variant names its sender, receiver and Zab phase; protocol/peer-codec.ts
// puts them on the wire under the numeric tags below, which are never reused.

// Txn (and the session identities a forwarded write carries) are the tree's replication contract;
// the import is type-only, so nothing of tree/ is loaded by protocol/ at run time.
import type { ReconfigRequestBody, Txn, TxnBody } from './txn.js';
import { assertNever } from './assert.js';
import type { VersionedMembership } from './membership.js';
import { hex, type Zxid } from './zxid.js';

export type { Zxid } from './zxid.js';

/** A replica's `myid` from zoo.cfg's server.N lines: a positive integer. */
export type ServerId = number;

/** What a replica is doing, as ZooKeeper's QuorumPeer.ServerState names it. */
export type PeerState = 'looking' | 'following' | 'leading' | 'observing';

/** A vote in fast leader election: who should lead, and how recent that replica's history is. */
export interface Vote {
  /** The proposed leader. */
  leaderId: ServerId;
  /** The proposed leader's last logged zxid. */
  zxid: Zxid;
  /** The proposed leader's currentEpoch (ZooKeeper's peerEpoch). */
  peerEpoch: number;
}

/** A session the learner saw traffic for since its last ping reply, for the leader's tracker. */
export interface SessionTouch {
  sessionId: bigint;
  timeoutMs: number;
}

/**
 * The serialized data tree a SNAP carries. A placeholder until tree/ defines its snapshot format:
 * the version tells a receiver whether it can read `bytes` at all.
 */
export interface TreeSnapshot {
  formatVersion: number;
  bytes: Uint8Array;
  /**
   * A SNAP a learner joined from SNAPPART pieces (actors/replica/snap-assembler.ts): the payload
   * is these pieces, then `bytes`. They are kept apart, not copied into one buffer: the copy
   * would double a large SNAP's memory on the learner, and one Buffer holds at most 4 GiB.
   * Never on the wire: a SNAP is sent with its bytes alone.
   */
  pieces?: readonly Uint8Array[];
}

/** The bytes of a snapshot's payload, its pieces included. */
export function treeSnapshotBytes(snapshot: TreeSnapshot): number {
  let bytes = snapshot.bytes.byteLength;
  for (const piece of snapshot.pieces ?? []) bytes += piece.byteLength;
  return bytes;
}

/**
 * A client request a learner hands to the leader, which alone orders txns. Writes and session
 * lifecycle requests become txns; so does a request the learner rejected before the tree (a
 * reconfig while disabled, a malformed write): ZooKeeper's leader gives it an error txn and a
 * zxid, and the learner answers its client once that txn is applied. A sync is answered with
 * SYNC once everything the leader proposed before it is committed.
 */
export type ForwardedRequest =
  | Extract<TxnBody, { type: 'createSession' | 'closeSession' | 'write' | 'error' }>
  | ReconfigRequestBody
  | { type: 'sync'; path: string };

/** One client request in a learner's REQUEST. */
export interface ForwardedRequestEntry {
  sessionId: bigint;
  cxid: number;
  body: ForwardedRequest;
}

/**
 * Peer protocol version carried in FOLLOWERINFO / OBSERVERINFO / LEADERINFO. Version 2 knows
 * reconfig (the reconfig txn, COMMITANDACTIVATE, INFORMANDACTIVATE): a leader refuses a reconfig
 * while a learner of version 1 is linked, since that learner could not read the txn. Version 3
 * knows tree broadcast and sync from the same site (RELAY … SNAPREFUSED, tags 34-40): a leader
 * neither relays through, nor relays to, nor sends SNAPFROM to, nor names as a snapshot source a
 * learner below it, so an ensemble mid-way through a rolling upgrade runs as a star. Version 4
 * reads the compact REQUEST and PING (protocol/compact-frames.ts): a replica sends them so only
 * to a peer that announced 4 or later, and reads both forms from any. Version 5 reads RELAYPLAN's
 * `directAcks` (a leader sets it only for a learner that announced 5 or later, whose ACKs then go
 * straight to the leader while its broadcast still comes through the relay) and the compact ACK
 * `[zxid]` (sent so only to a peer that announced 5).
 */
export const peerProtocolVersion = 5;
/** The oldest peer protocol a replica still speaks (a rolling upgrade passes through it). */
export const peerProtocolVersionMin = 1;
/** The first peer protocol version that knows reconfig. */
export const reconfigProtocolVersion = 2;
/** The first peer protocol version that knows tree broadcast and sync from the same site. */
export const siteProtocolVersion = 3;
/** The first peer protocol version that reads the compact REQUEST and PING. */
export const compactProtocolVersion = 4;
/** The first peer protocol version that reads RELAYPLAN's directAcks. */
export const directAckProtocolVersion = 5;

export type PeerMessage =
  /**
   * Election. Any replica → voters (and answers to any replica). A looking replica broadcasts
   * its current vote; a following/leading replica answers a looking one with the vote it settled
   * on, which is how a replica rejoining a settled ensemble learns the leader.
   */
  | {
      type: 'notification';
      vote: Vote;
      /** The sender's election round (ZooKeeper's logical clock, electionEpoch). */
      round: number;
      state: PeerState;
      /**
       * The sender's active configuration, once a reconfig made one (version above 0), as
       * ZooKeeper's notifications carry it: a looking replica that missed the reconfig learns it.
       */
      config?: VersionedMembership;
    }
  /** Discovery. Follower → leader: the first packet on a new leader connection. */
  | { type: 'followerInfo'; acceptedEpoch: number; protocolVersion: number }
  /** Discovery. Observer → leader: as FOLLOWERINFO, but the sender does not vote. */
  | { type: 'observerInfo'; acceptedEpoch: number; protocolVersion: number }
  /** Discovery. Leader → learner: the new epoch, max(acceptedEpoch of a quorum) + 1. */
  | { type: 'leaderInfo'; newEpoch: number; protocolVersion: number }
  /** Discovery. Learner → leader: accepted the new epoch; here is where my history ends. */
  | { type: 'ackEpoch'; currentEpoch: number; lastZxid: Zxid }
  /**
   * Synchronization. Leader → learner: PROPOSAL/COMMIT pairs for everything after the learner's
   * lastZxid follow, up to `zxid`.
   */
  | { type: 'diff'; zxid: Zxid }
  /** Synchronization. Leader → learner: drop logged txns after `zxid` (a dead leader's tail). */
  | { type: 'trunc'; zxid: Zxid }
  /** Synchronization. Leader → learner: replace your tree with this one, current up to `zxid`. */
  | { type: 'snap'; zxid: Zxid; snapshot: TreeSnapshot }
  /**
   * Synchronization. Leader → learner, just before a SNAP: a leading piece of its snapshot
   * bytes, which the SNAP's own bytes complete. A host streams a large tree this way, encoding a
   * piece at a time; the receiving host joins the pieces into the SNAP before its machine sees
   * it, so machines never handle one.
   */
  | { type: 'snapPart'; bytes: Uint8Array }
  /**
   * Synchronization. Leader → learner: the sync stream is complete; `zxid` is makeZxid(newEpoch,
   * 0). The follower persists currentEpoch = newEpoch before its ACK.
   */
  | {
      type: 'newLeader';
      zxid: Zxid;
      /**
       * The leader's active configuration, as ZooKeeper's NEWLEADER carries it: a learner that
       * started with another view of the same version (one joining, with the members plus
       * itself) takes the leader's once it is up to date.
       */
      config?: VersionedMembership;
    }
  /**
   * Synchronization and broadcast. Follower → leader: NEWLEADER's zxid, or a proposal's zxid
   * once that proposal (and everything before it) is durable.
   */
  | { type: 'ack'; zxid: Zxid }
  /** Synchronization. Leader → learner: a quorum acknowledged NEWLEADER; start serving. */
  | { type: 'upToDate' }
  /**
   * Synchronization and broadcast. Leader → follower: log these txns (consecutive, in zxid
   * order; one or more, as the leader batches them under load) and ACK them once durable.
   */
  | { type: 'proposal'; txns: Txn[] }
  /** Broadcast. Leader → follower: a quorum logged everything up to `zxid`; apply it. */
  | { type: 'commit'; zxid: Zxid }
  /** Broadcast. Leader → observer: a committed txn (observers never see uncommitted ones). */
  | { type: 'inform'; txn: Txn }
  /**
   * Broadcast. Leader → follower: as COMMIT, and the reconfig txn at `zxid` now is the active
   * configuration; `designatedLeader` leads it (this leader, or the successor it hands over to).
   */
  | { type: 'commitAndActivate'; zxid: Zxid; designatedLeader: ServerId }
  /** Broadcast. Leader → observer: as INFORM of a reconfig txn, with the designated leader. */
  | { type: 'informAndActivate'; txn: Txn; designatedLeader: ServerId }
  /**
   * Broadcast. Leader → learner every tick with no touches; the learner answers with the
   * sessions it saw traffic for, which keeps them alive in the leader's session tracker.
   */
  | { type: 'ping'; touches: SessionTouch[] }
  /**
   * Broadcast. Learner → leader: client requests only the leader may order, in arrival order
   * (a batch of writes and session requests, or one sync).
   */
  | { type: 'request'; requests: ForwardedRequestEntry[] }
  /** Broadcast. Learner → leader: a client reconnected here; is this session still alive? */
  | { type: 'revalidate'; sessionId: bigint; timeoutMs: number }
  /** Broadcast. Leader → learner: the answer to REVALIDATE. */
  | { type: 'revalidateResult'; sessionId: bigint; valid: boolean }
  /**
   * Broadcast. Leader → learner: everything proposed before the forwarded sync is committed
   * (through `zxid`); the learner answers the client's sync once it has applied that far.
   */
  | { type: 'sync'; sessionId: bigint; cxid: number; zxid: Zxid }
  /**
   * Tree broadcast. Leader → the relay of a remote site: one copy of a broadcast message for the
   * site. The relay sends it on (as RELAYED) to each of `to`, in the order it arrives, and takes
   * it itself when `own` is set (its own PROPOSAL or COMMIT).
   */
  | { type: 'relay'; message: RelayedMessage; to: ServerId[]; own: boolean }
  /** Tree broadcast. Relay → a follower of its site: a message of `leaderId`, passed on as is. */
  | { type: 'relayed'; leaderId: ServerId; message: RelayedMessage }
  /**
   * Tree broadcast. Leader → follower: from now on your PROPOSAL, COMMIT and SYNC come through
   * `relayId` (0: from the leader directly), and your ACKs go back the same way, or (directAcks,
   * peer protocol 5) straight to the leader: the ACK that answers this RELAYPLAN still goes
   * through the relay, so that the leader learns the path works.
   */
  | { type: 'relayPlan'; relayId: number; directAcks?: boolean }
  /** Tree broadcast. Relay → leader: its site's followers' own ACKs, batched (each voter's id). */
  | { type: 'relayAcks'; acks: RelayedAck[] }
  /**
   * Sync from the same site. Leader → learner, in place of a SNAP: take the snapshot from
   * `peer`, a synced follower of your site, then say ACKEPOCH again with its zxid.
   */
  | { type: 'snapFrom'; peer: ServerId }
  /**
   * Sync from the same site. Learner → that follower: send me your tree (as SNAPPART/SNAP). It
   * is served only by a synced follower of the leader of `epoch`, the one that sent SNAPFROM.
   */
  | { type: 'snapRequest'; epoch: number }
  /** Sync from the same site. Follower → learner: not now (it is not a synced follower). */
  | { type: 'snapRefused' };

/** What a relay passes on: the broadcast messages whose order a follower depends on. */
export type RelayedMessage =
  | { type: 'proposal'; txns: Txn[] }
  | { type: 'commit'; zxid: Zxid }
  | { type: 'inform'; txn: Txn }
  | { type: 'sync'; sessionId: bigint; cxid: number; zxid: Zxid };

export const relayedMessageTypes: ReadonlySet<string> =
  new Set(['proposal', 'commit', 'inform', 'sync']);

/** One follower's ACK in a relay's batch: the follower's id and the zxid it made durable. */
export interface RelayedAck {
  id: ServerId;
  zxid: Zxid;
}

export type PeerMessageType = PeerMessage['type'];
export type PeerMessageOf<Type extends PeerMessageType> = Extract<PeerMessage, { type: Type }>;
export type Notification = PeerMessageOf<'notification'>;

/**
 * Wire tags. Quorum packets keep Apache ZooKeeper's Leader.java numbers so traces read alike;
 * 9 and 19 are ZooKeeper's reconfig COMMITANDACTIVATE / INFORMANDACTIVATE. A tag is
 * never reused: a retired message keeps its number out of circulation.
 */
export const peerMessageTag = {
  request: 1,
  proposal: 2,
  ack: 3,
  commit: 4,
  ping: 5,
  revalidate: 6,
  sync: 7,
  inform: 8,
  commitAndActivate: 9,
  newLeader: 10,
  followerInfo: 11,
  upToDate: 12,
  diff: 13,
  trunc: 14,
  snap: 15,
  snapPart: 20,
  observerInfo: 16,
  leaderInfo: 17,
  ackEpoch: 18,
  informAndActivate: 19,
  notification: 32,
  revalidateResult: 33,
  relay: 34,
  relayed: 35,
  relayPlan: 36,
  relayAcks: 37,
  snapFrom: 38,
  snapRequest: 39,
  snapRefused: 40,
} as const satisfies Record<PeerMessageType, number>;

/** Tags that must never be assigned again (retired or held for ZooKeeper parity). */
export const reservedPeerMessageTags: readonly number[] = [];


/** One line for traces and logs, in ZooKeeper's packet names: `PROPOSAL 0x200000007 write`. */
/** A configuration in a trace line: its version and its participants (`0x10000000c [1,3,5]`). */
function describeConfig(config: VersionedMembership): string {
  const voters = config.servers.filter((server) => server.peerType === 'participant');
  return `${hex(config.version)} [${voters.map((server) => server.id).join(',')}]`;
}

export function describePeerMessage(message: PeerMessage): string {
  switch (message.type) {
    case 'notification': {
      const { vote, round, state } = message;
      const voted = `${vote.leaderId} zxid ${hex(vote.zxid)} epoch ${vote.peerEpoch}`;
      const config =
        message.config === undefined ? '' : ` config ${describeConfig(message.config)}`;
      return `NOTIFICATION ${state} round ${round} vote ${voted}${config}`;
    }
    case 'followerInfo':
      return `FOLLOWERINFO acceptedEpoch ${message.acceptedEpoch}`;
    case 'observerInfo':
      return `OBSERVERINFO acceptedEpoch ${message.acceptedEpoch}`;
    case 'leaderInfo':
      return `LEADERINFO newEpoch ${message.newEpoch}`;
    case 'ackEpoch':
      return `ACKEPOCH currentEpoch ${message.currentEpoch} lastZxid ${hex(message.lastZxid)}`;
    case 'diff':
      return `DIFF ${hex(message.zxid)}`;
    case 'trunc':
      return `TRUNC ${hex(message.zxid)}`;
    case 'snap':
      return `SNAP ${hex(message.zxid)} ${treeSnapshotBytes(message.snapshot)} bytes`;
    case 'snapPart':
      return `SNAPPART ${message.bytes.byteLength} bytes`;
    case 'newLeader':
      return `NEWLEADER ${hex(message.zxid)}`;
    case 'ack':
      return `ACK ${hex(message.zxid)}`;
    case 'upToDate':
      return 'UPTODATE';
    case 'proposal': {
      const [first, last] = [message.txns[0], message.txns[message.txns.length - 1]];
      if (first === undefined || last === undefined) return 'PROPOSAL (empty)';
      if (first === last) return `PROPOSAL ${hex(first.zxid)} ${first.body.type}`;
      return `PROPOSAL ${hex(first.zxid)}..${hex(last.zxid)} (${message.txns.length} txns)`;
    }
    case 'commit':
      return `COMMIT ${hex(message.zxid)}`;
    case 'inform':
      return `INFORM ${hex(message.txn.zxid)} ${message.txn.body.type}`;
    case 'commitAndActivate':
      return `COMMITANDACTIVATE ${hex(message.zxid)} leader ${message.designatedLeader}`;
    case 'informAndActivate':
      return `INFORMANDACTIVATE ${hex(message.txn.zxid)} leader ${message.designatedLeader}`;
    case 'ping':
      return `PING ${message.touches.length} touches`;
    case 'request': {
      const first = message.requests[0];
      if (first === undefined) return 'REQUEST (empty)';
      const more = message.requests.length > 1 ? ` (+${message.requests.length - 1} more)` : '';
      return `REQUEST session ${hex(first.sessionId)} cxid ${first.cxid} ${first.body.type}${more}`;
    }
    case 'revalidate':
      return `REVALIDATE session ${hex(message.sessionId)} timeout ${message.timeoutMs} ms`;
    case 'revalidateResult':
      return `REVALIDATE session ${hex(message.sessionId)} ${message.valid ? 'valid' : 'invalid'}`;
    case 'sync':
      return `SYNC session ${hex(message.sessionId)} cxid ${message.cxid} ${hex(message.zxid)}`;
    case 'relay': {
      const own = message.own ? ' (own)' : '';
      return `RELAY to [${message.to.join(',')}]${own} ${describePeerMessage(message.message)}`;
    }
    case 'relayed':
      return `RELAYED from ${message.leaderId} ${describePeerMessage(message.message)}`;
    case 'relayPlan':
      if (message.relayId === 0) return 'RELAYPLAN direct';
      return `RELAYPLAN via ${message.relayId}` +
        (message.directAcks === true ? ', ACKs direct' : '');
    case 'relayAcks':
      return `RELAYACKS ${message.acks.map((ack) => `${ack.id}:${hex(ack.zxid)}`).join(' ')}`;
    case 'snapFrom':
      return `SNAPFROM ${message.peer}`;
    case 'snapRequest':
      return `SNAPREQUEST epoch ${message.epoch}`;
    case 'snapRefused':
      return 'SNAPREFUSED';
    default:
      return assertNever(message);
  }
}

