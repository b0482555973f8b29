// How transcripts print what the replica did: each effect on one line (peer sends through
// describePeerMessage, the rest as `name key=value`), and its state as labelled lines — the leaf
// states, then the context fields that matter to Zab (epochs, log, decision, leader, learner).
import type { AnyStateNode } from 'xstate';
import type { ElectionSnapshot } from '../../machines/election.js';
import type { SyncPlan } from '../../machines/leading/rules.js';
import type { LeaderState, LearnerState } from '../../machines/replica-context.js';
import type { ReplicaEffect, ReplicaSnapshot } from '../../machines/replica.js';
import { describePeerMessage } from '../../protocol/peer.js';
import { hex } from '../../protocol/zxid.js';

/** `txns`, `requests` and `touches` read better as short lists than as nested objects. */
function listItem(key: string, item: unknown): string | undefined {
  if (typeof item !== 'object' || item === null) return undefined;
  const record = item as Record<string, unknown>;
  const body = record.body as { type?: string } | undefined;
  if (key === 'txns') return `${hex(record.zxid as number)}:${body?.type}`;
  if (key === 'requests') return `${hex(record.sessionId as bigint)}/${record.cxid}:${body?.type}`;
  if (key === 'touches') return `${hex(record.sessionId as bigint)}:${record.timeoutMs}`;
  return undefined;
}

/** A sync plan as `diff:0x100000004`, `trunc:0x100000005` or `snap`. */
function describePlan(plan: SyncPlan): string {
  if (plan.mode === 'diff') return `diff:${hex(plan.afterZxid)}`;
  if (plan.mode === 'trunc') return `trunc:${hex(plan.truncateToZxid)}`;
  return plan.mode;
}

function isZxidKey(key: string): boolean {
  return /zxid$/i.test(key);
}

/** `key=value` pairs of an effect's params, nested objects flattened as `outer.inner=value`. */
export function describeParameters(parameters: unknown, prefix = ''): string[] {
  if (typeof parameters !== 'object' || parameters === null) return [];
  return Object.entries(parameters as Record<string, unknown>).flatMap(([key, value]) => {
    const name = `${prefix}${key}`;
    if (value instanceof Uint8Array) return [`${name}=<${value.byteLength} bytes>`];
    if (Array.isArray(value)) {
      const items = value.map((item) => listItem(key, item) ?? String(item));
      return [`${name}=[${items.join(',')}]`];
    }
    if (key === 'plan') return [`${name}=${describePlan(value as SyncPlan)}`];
    if (typeof value === 'bigint') return [`${name}=${hex(value)}`];
    if (typeof value === 'number' && isZxidKey(key)) return [`${name}=${hex(value)}`];
    if (typeof value === 'object' && value !== null) return describeParameters(value, `${name}.`);
    return [`${name}=${String(value)}`];
  });
}

export function describeEffect(effect: ReplicaEffect): string {
  if (effect.type === 'sendPeerMessage') {
    return `send ${effect.params.to} ${describePeerMessage(effect.params.message)}`;
  }
  return [effect.type, ...describeParameters(effect.params)].join(' ');
}

/** `{ leading: { phase: 'broadcast', liveness: 'ticking' } }` → its leaf paths, dotted. */
export function leafPathsOf(value: unknown, prefix = ''): string[] {
  if (typeof value === 'string') return [`${prefix}${value}`];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) => leafPathsOf(child, `${prefix}${key}.`));
}

/** A leaf whose parent has no other child says nothing (`following.liveness.ticking`). */
function hasSiblings(root: AnyStateNode, path: string): boolean {
  const keys = path.split('.');
  let parent = root;
  for (const key of keys.slice(0, -1)) {
    const child = parent.states[key];
    if (child === undefined) return true;
    parent = child;
  }
  return Object.keys(parent.states).length > 1;
}

function describeElection(election: ElectionSnapshot): string {
  const { round, proposal, votesInRound } = election.context;
  const votes = Object.entries(votesInRound)
    .map(([from, cast]) => `${from}:${cast.vote.leaderId}`)
    .join(',');
  const value = leafPathsOf(election.value).join(' ');
  const vote = `${proposal.leaderId} zxid=${hex(proposal.zxid)} epoch=${proposal.peerEpoch}`;
  return `${value} round=${round} vote=${vote} votes=${votes}`;
}

/** Shown while it still decides something: `shown` says when. */
function fieldIf(shown: boolean, text: string): string[] {
  return shown ? [text] : [];
}

/** phaseTicks only counts against initLimit, so it is shown until the leader is established. */
function describeLeader(leader: LeaderState): string {
  const outstanding = leader.outstanding.map((txn) => hex(txn.zxid)).join(',');
  const syncs = leader.pendingSyncs
    .map((sync) => `${sync.from}/${sync.cxid}@${hex(sync.afterZxid)}`)
    .join(',');
  return [
    `newEpoch=${leader.newEpoch ?? '-'}`,
    `established=${leader.established}`,
    ...fieldIf(!leader.established, `phaseTicks=${leader.phaseTicks}`),
    `committedZxid=${hex(leader.committedZxid)}`,
    ...fieldIf(outstanding !== '', `outstanding=${outstanding}`),
    ...fieldIf(syncs !== '', `pendingSyncs=${syncs}`),
  ].join(' ');
}

/**
 * One line per learner. Its acceptedEpoch matters until it is offered the epoch, its last zxid
 * (from ACKEPOCH) until its sync is planned; after that only ACKs and silence do.
 */
function describeLearners(leader: LeaderState): Array<[string, string]> {
  return Object.entries(leader.learners).map(([id, learner]) => {
    const acked = leader.ackedZxidByServer[Number(id)];
    const { phase } = learner;
    const isDiscovering = phase === 'info' || phase === 'leaderInfoSent';
    const isSyncing = phase === 'epochAcked' || phase === 'newLeaderSent';
    const fields = [
      learner.role,
      phase,
      ...fieldIf(isDiscovering, `acceptedEpoch=${learner.acceptedEpoch}`),
      ...fieldIf(isSyncing, `lastZxid=${hex(learner.lastZxid)}`),
      ...fieldIf(acked !== undefined, `ackedZxid=${hex(acked ?? 0)}`),
      `silentTicks=${learner.silentTicks}`,
    ];
    return [`learner ${id}`, fields.join(' ')];
  });
}

/** Until UPTODATE the sync fields and phaseTicks (initLimit) matter; after it, silence and ACKs. */
function describeLearner(learner: LearnerState): string {
  const syncing = !learner.upToDate;
  const syncCommitted = `syncCommittedZxid=${hex(learner.syncCommittedZxid)}`;
  const optional: Array<[boolean, string]> = [
    [syncing, `phaseTicks=${learner.phaseTicks}`],
    [true, `silentTicks=${learner.silentTicks}`],
    [syncing && learner.syncCommittedZxid > 0, syncCommitted],
    [syncing && learner.newLeaderZxid !== null, `newLeaderZxid=${hex(learner.newLeaderZxid ?? 0)}`],
    [learner.newLeaderAcked, `ackedZxid=${hex(learner.ackedZxid)}`],
    [learner.upToDate, 'upToDate'],
    [learner.touches.length > 0, `touches=${learner.touches.length}`],
    [learner.snapshotSource !== null, `snapshotSource=${learner.snapshotSource ?? 0}`],
  ];
  return [
    `leader=${learner.leaderId}`,
    `newEpoch=${learner.newEpoch ?? '-'}`,
    ...optional.filter(([shown]) => shown).map(([, text]) => text),
  ].join(' ');
}

/** The replica's state as labelled lines, in a fixed order; labels are unique. */
export function describeState(
  snapshot: ReplicaSnapshot,
  root: AnyStateNode,
): Array<[string, string]> {
  const context = snapshot.context;
  const paths = leafPathsOf(snapshot.value).filter((path) => hasSiblings(root, path));
  const lines: Array<[string, string]> = [['state', paths.join(' ')]];
  const children = snapshot.children as Record<string, { getSnapshot(): unknown } | undefined>;
  const election = children.election?.getSnapshot() as ElectionSnapshot | undefined;
  if (election !== undefined) lines.push(['election', describeElection(election)]);
  const floor = context.epochFloor > 0 ? ` epochFloor=${context.epochFloor}` : '';
  lines.push([
    'epochs',
    `acceptedEpoch=${context.acceptedEpoch} currentEpoch=${context.currentEpoch}${floor}`,
  ]);
  lines.push([
    'log',
    `firstZxid=${hex(context.firstZxid)} lastZxid=${hex(context.lastZxid)} ` +
      `durableZxid=${hex(context.durableZxid)}` +
      (context.replacementsPending > 0 ? ` replacing=${context.replacementsPending}` : ''),
  ]);
  lines.push(['epochEnds', context.epochEnds.map(hex).join(',') || '-']);
  const decision = context.decision;
  lines.push([
    'decision',
    decision === null
      ? 'none'
      : `${decision.role} leader=${decision.leaderId} epoch=${decision.epoch} ` +
        `zxid=${hex(decision.zxid)} round=${decision.round}`,
  ]);
  if (context.leader !== null) {
    lines.push(['leader', describeLeader(context.leader)], ...describeLearners(context.leader));
  }
  if (context.learner !== null) lines.push(['learner', describeLearner(context.learner)]);
  const held = Object.keys(context.heldLearnerInfos);
  if (held.length > 0) lines.push(['heldLearnerInfos', held.join(',')]);
  return lines;
}
