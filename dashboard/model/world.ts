// What the machine records say at one moment: every replica's actors, each with its machine, its
// state, the transition it took last and, for the election, the votes it has received. A world is
// changed only by `applyRecord`, and `cloneWorld` copies it cheaply (state values are never
// mutated, so they are shared), which is what time travel's checkpoints are made of.
import type {
  StreamEvent,
  StreamRecord,
  StreamStateValue,
  StreamTransition,
} from '../../protocol/machine-stream.js';

/** A vote the election actor received: a notification from a peer naming its candidate. */
export interface Vote {
  from: string;
  leader: string;
  /** The candidate's zxid (decimal, as the stream writes bigints) and epoch; the round. */
  zxid?: string;
  round?: string;
  peerEpoch?: string;
  state?: string;
}

export interface ActorView {
  replica: string;
  id: string;
  machine: string;
  parent?: string;
  label?: string;
  state: StreamStateValue;
  /** Set once the actor has stopped; it stays shown until its record leaves the history. */
  ended?: 'done' | 'stopped' | 'error';
  /** The history number of its ended record. */
  endedAt?: number;
  /** Its last transition record, and the history number it had. */
  lastTransition?: { record: StreamTransition; n: number };
  /** Replica actors: the currentEpoch it last persisted (from its storage.epochPersisted). */
  epoch?: number;
  /** Election actors only: the latest vote from each peer. */
  votes?: Vote[];
}

export interface World {
  /** replica id → actor id → actor. */
  replicas: Map<string, Map<string, ActorView>>;
}

/** Votes kept per election actor: one per peer, and a bound for a replica with many peers. */
const votesMax = 64;

export function emptyWorld(): World {
  return { replicas: new Map() };
}

export function cloneWorld(world: World): World {
  const replicas = new Map<string, Map<string, ActorView>>();
  for (const [replica, actors] of world.replicas) {
    const copy = new Map<string, ActorView>();
    for (const [id, actor] of actors) copy.set(id, { ...actor });
    replicas.set(replica, copy);
  }
  return { replicas };
}

function actorsOf(world: World, replica: string): Map<string, ActorView> {
  let actors = world.replicas.get(replica);
  if (actors === undefined) {
    actors = new Map();
    world.replicas.set(replica, actors);
  }
  return actors;
}

function text(value: StreamEvent[string] | undefined): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}

/**
 * The vote a notification event carries, or undefined for any other event. The election's
 * `peer.notification` event names its sender (`from`) and the notification flattened under
 * `notification.` (its vote under `notification.vote.`: leaderId, zxid, peerEpoch).
 */
export function voteOf(event: StreamEvent): Vote | undefined {
  if (event.type !== 'peer.notification') return undefined;
  const from = text(event.from);
  const field = (name: string): string | undefined =>
    text(event[`notification.${name}`]) ?? text(event[`message.${name}`]);
  const leader = field('vote.leaderId');
  if (from === undefined || leader === undefined) return undefined;
  const vote: Vote = { from, leader };
  const zxid = field('vote.zxid');
  const round = field('round');
  const peerEpoch = field('vote.peerEpoch');
  const state = field('state');
  if (zxid !== undefined) vote.zxid = zxid;
  if (round !== undefined) vote.round = round;
  if (peerEpoch !== undefined) vote.peerEpoch = peerEpoch;
  if (state !== undefined) vote.state = state;
  return vote;
}

/** The epoch a replica made its currentEpoch: Zab's discovery persists it before it serves. */
export function currentEpochOf(event: StreamEvent): number | undefined {
  if (event.type !== 'storage.epochPersisted') return undefined;
  if (typeof event.kind !== 'string' || !event.kind.startsWith('current')) return undefined;
  return typeof event.epoch === 'number' ? event.epoch : undefined;
}

function withVote(votes: Vote[] | undefined, vote: Vote): Vote[] {
  const others = (votes ?? []).filter((existing) => existing.from !== vote.from);
  return [...others, vote].slice(-votesMax);
}

/** Applies one record of `record.replica`'s stream; `n` is its number in the history. */
export function applyRecord(world: World, record: StreamRecord, n: number): void {
  const actors = actorsOf(world, record.replica);
  switch (record.kind) {
    case 'actor': {
      const previous = actors.get(record.actor);
      const actor: ActorView = {
        replica: record.replica, id: record.actor, machine: record.machine, state: record.state,
      };
      if (record.parent !== undefined) actor.parent = record.parent;
      if (record.label !== undefined) actor.label = record.label;
      // A resynchronisation repeats a live actor: what it took and received stays.
      if (previous !== undefined && previous.ended === undefined &&
        previous.machine === record.machine) {
        if (previous.lastTransition !== undefined) actor.lastTransition = previous.lastTransition;
        if (previous.votes !== undefined) actor.votes = previous.votes;
        if (previous.epoch !== undefined) actor.epoch = previous.epoch;
      }
      actors.set(record.actor, actor);
      return;
    }
    case 'transition': {
      const previous = actors.get(record.actor);
      const actor: ActorView = previous === undefined
        ? { replica: record.replica, id: record.actor, machine: '?', state: record.state }
        : { ...previous, state: record.state };
      actor.lastTransition = { record, n };
      const epoch = currentEpochOf(record.event);
      if (epoch !== undefined) actor.epoch = epoch;
      const vote = voteOf(record.event);
      if (vote !== undefined && actor.machine === 'election') {
        actor.votes = withVote(actor.votes, vote);
      }
      actors.set(record.actor, actor);
      return;
    }
    case 'ended': {
      const previous = actors.get(record.actor);
      if (previous !== undefined) {
        actors.set(record.actor, { ...previous, ended: record.status, endedAt: n });
      }
      return;
    }
    case 'gap':
      // The actor records that follow are the whole picture of this replica again.
      actors.clear();
      return;
  }
}

/** A replica restarted or its stream reconnected: its hello starts its picture afresh. */
export function resetReplica(world: World, replica: string): void {
  world.replicas.set(replica, new Map());
}

/** Drops an ended actor whose ended record left the history (a session's expiry is shown until
 * then). */
export function forgetEnded(world: World, replica: string, actor: string): void {
  const actors = world.replicas.get(replica);
  if (actors?.get(actor)?.ended !== undefined) actors.delete(actor);
}
