// Drives one replica machine through a transcript's commands: every host effect is provided as
// a recorder, time passes only through a SimulatedClock, and each block's output is the effects
// asked for followed by the state lines that changed (the etcd-io/raft datadriven shape).
import { createActor, SimulatedClock, type Actor, type AnyStateNode } from 'xstate';
import {
  peerEventOf,
  replicaMachine,
  type ReplicaEffect,
  type ReplicaEvent,
  type ReplicaInput,
} from '../../machines/replica.js';
import { epochOfZxid, makeZxid } from '../../protocol/zxid.js';
import { membershipOfIds, type VersionedMembership } from '../../protocol/membership.js';
import { CommandArguments } from './arguments.js';
import { bodyTypes, peerMessageOf, touchesOf, txnBodyOf } from './messages.js';
import { describeEffect, describeState, leafPathsOf } from './render.js';
import { ScenarioError, type CommandLine } from './transcript.js';

/** Every host effect of the replica: a missing one would throw its default in a transcript. */
const effectTypes = [
  'sendPeerMessage',
  'connectToLeader',
  'persistAcceptedEpoch',
  'persistCurrentEpoch',
  'appendProposals',
  'truncateLog',
  'loadSnapshot',
  'applyCommitted',
  'sendSyncStream',
  'serveSnapshot',
  'acceptForwardedRequests',
  'announceRole',
  'touchSessions',
  'answerSync',
  'revalidateSession',
  'sessionRevalidated',
  'activateConfig',
  'scheduleRelayFlush',
] as const satisfies ReadonlyArray<ReplicaEffect['type']>;

// Compile-time check that effectTypes names every ReplicaEffect.
type MissingEffect = Exclude<ReplicaEffect['type'], (typeof effectTypes)[number]>;
const everyEffectListed: [MissingEffect] extends [never] ? true : MissingEffect = true;
void everyEffectListed;

type ReplicaActor = Actor<typeof replicaMachine>;

/** `voters=` as a membership with `sites=1:a,2:b,…` (zoo.cfg site.N). */
function membershipWithSites(given: CommandArguments): VersionedMembership {
  const sites: Record<number, string> = {};
  for (const item of given.text('sites').split(',')) {
    const [id, site] = item.split(':');
    if (id === undefined || site === undefined || !/^\d+$/.test(id)) {
      given.fail(`sites=: ${item} is not id:site`);
    }
    sites[Number(id)] = site;
  }
  return { ...membershipOfIds(given.integers('voters')), version: 0, sites };
}
type Command = (given: CommandArguments) => void;

/** One replica under a transcript's commands; `replica` (re)creates it. */
export class ScenarioDriver {
  /** Every leaf state path any replica of this driver was in. */
  readonly visited = new Set<string>();
  private actor: ReplicaActor | null = null;
  private clock = new SimulatedClock();
  private tickMs = 0;
  private output: string[] = [];
  private shownState = new Map<string, string>();
  private showAll = false;
  private failure: string | null = null;

  private readonly commands: Record<string, Command> = {
    replica: (given) => this.startReplica(given),
    receive: (given) => {
      const from = given.integer('from');
      this.send(peerEventOf(from, peerMessageOf(given)));
    },
    tick: (given) => {
      const count = Number(given.optionalWord() ?? '1');
      if (!Number.isInteger(count) || count < 1) given.fail('tick takes a count of ticks');
      for (let index = 0; index < count; index++) this.advance(this.tickMs);
    },
    elapse: (given: CommandArguments) => {
      const word = given.word('milliseconds');
      const match = /^([0-9]+)ms$/.exec(word);
      if (match === null) given.fail(`elapse takes a duration like 200ms, not ${word}`);
      this.advance(Number(match[1]));
    },
    status: () => {
      this.showAll = true;
    },
    patch: (given) => this.patchContext(given),
    ...this.eventCommands(),
  };

  /** Runs one block's commands and returns its output lines. */
  runBlock(commands: readonly CommandLine[], file: string): string[] {
    this.output = [];
    this.showAll = false;
    for (const { text, line } of commands) {
      const [name = '', ...words] = text.split(/\s+/);
      const where = `${file}:${line}`;
      const command = Object.hasOwn(this.commands, name) ? this.commands[name] : undefined;
      if (command === undefined) throw new ScenarioError(where, `unknown command "${name}"`);
      if (name !== 'replica' && this.actor === null) {
        throw new ScenarioError(where, 'no replica yet: start one with `replica id= voters=`');
      }
      const given = new CommandArguments(words, where);
      command(given);
      given.done();
    }
    return [...this.output, ...this.stateLines()];
  }

  stop(): void {
    this.actor?.stop();
    this.actor = null;
  }

  private startReplica(given: CommandArguments): void {
    this.stop();
    const lastZxid = given.integer('lastZxid', 0);
    // Unless told otherwise, the log holds the whole of its last epoch.
    const wholeEpoch = lastZxid === 0 ? 0 : makeZxid(epochOfZxid(lastZxid), 1);
    const firstZxid = given.integer('firstZxid', wholeEpoch);
    const input: ReplicaInput = {
      myId: given.integer('id'),
      voters: given.integers('voters'),
      acceptedEpoch: given.integer('acceptedEpoch', 0),
      currentEpoch: given.integer('currentEpoch', 0),
      lastZxid,
      firstZxid,
      epochEnds: given.has('epochEnds') ? given.integers('epochEnds') : undefined,
      timing: {
        tickMs: given.integer('tick', 2000),
        initLimitTicks: given.integer('initLimit', 10),
        syncLimitTicks: given.integer('syncLimit', 5),
      },
      electionTiming: {
        finalizeWaitMs: given.integer('finalizeWait', 200),
        notificationTimeoutMsMax: given.integer('notificationTimeoutMax', 60_000),
      },
      readOnlyModeEnabled: given.boolean('readOnly', false),
      ...(given.has('sites') ? { membership: membershipWithSites(given) } : {}),
    };
    this.tickMs = input.timing?.tickMs ?? 2000;
    this.clock = new SimulatedClock();
    this.shownState = new Map();
    this.failure = null;
    const record = (type: ReplicaEffect['type']) => (_: unknown, params: unknown) => {
      this.output.push(describeEffect({ type, params } as ReplicaEffect));
    };
    const actions = Object.fromEntries(effectTypes.map((type) => [type, record(type)]));
    const machine = replicaMachine.provide({ actions } as never);
    const actor = createActor(machine, { input, clock: this.clock });
    actor.subscribe({
      next: (snapshot) => {
        for (const path of leafPathsOf(snapshot.value)) this.visited.add(path);
      },
      error: (error) => {
        this.failure = error instanceof Error ? error.message : String(error);
      },
    });
    this.actor = actor as unknown as ReplicaActor;
    actor.start();
  }

  /**
   * Overwrites numeric context fields of the running replica in place. Only for history a
   * transcript cannot replay, such as the 2^32 proposals that spend an epoch's zxid counter;
   * every use says so in a comment.
   */
  private patchContext(given: CommandArguments): void {
    const context = this.actor?.getSnapshot().context;
    if (context === undefined) return;
    const fields = ['lastZxid', 'durableZxid', 'acceptedEpoch', 'currentEpoch'] as const;
    const patched = fields.filter((field) => given.has(field));
    if (patched.length === 0) given.fail(`patch takes one or more of ${fields.join(', ')}`);
    for (const field of patched) context[field] = given.integer(field);
  }

  private send(event: ReplicaEvent): void {
    this.actor?.send(event);
  }

  private advance(milliseconds: number): void {
    this.clock.increment(milliseconds);
  }

  /** Commands named as the ReplicaEvent they send, their arguments its fields. */
  private eventCommands(): Record<string, Command> {
    const send = (event: ReplicaEvent) => this.send(event);
    return {
      'storage.appended': (given) =>
        send({ type: 'storage.appended', zxid: given.integer('zxid') }),
      'storage.epochPersisted': (given) =>
        send({
          type: 'storage.epochPersisted',
          kind: given.choice('kind', ['accepted', 'current'] as const),
          epoch: given.integer('epoch'),
        }),
      'storage.truncated': (given) =>
        send({ type: 'storage.truncated', zxid: given.integer('zxid') }),
      'storage.snapshotLoaded': (given) =>
        send({ type: 'storage.snapshotLoaded', zxid: given.integer('zxid') }),
      'storage.purged': (given) =>
        send({ type: 'storage.purged', firstZxid: given.integer('firstZxid') }),
      'client.requests': (given) => {
        const sessionId = given.bigint('session', 1n);
        const firstCxid = given.integer('cxid', 1);
        const body = txnBodyOf(given.choice('body', bodyTypes, 'write'), sessionId);
        const requests = Array.from({ length: given.integer('count', 1) }, (_, index) => ({
          sessionId,
          cxid: firstCxid + index,
          time: 0,
          body,
        }));
        send({ type: 'client.requests', requests });
      },
      'client.sync': (given) =>
        send({
          type: 'client.sync',
          sessionId: given.bigint('session', 1n),
          cxid: given.integer('cxid'),
          path: given.text('path', '/'),
        }),
      'client.revalidate': (given) =>
        send({
          type: 'client.revalidate',
          sessionId: given.bigint('session'),
          timeoutMs: given.integer('timeoutMs'),
        }),
      'sessions.revalidated': (given) =>
        send({
          type: 'sessions.revalidated',
          to: given.integer('to'),
          sessionId: given.bigint('session'),
          valid: given.boolean('valid'),
        }),
      'sessions.touched': (given) => send({ type: 'sessions.touched', touches: touchesOf(given) }),
      'peer.connected': (given) => send({ type: 'peer.connected', peer: given.integer('peer') }),
      'peer.disconnected': (given) =>
        send({ type: 'peer.disconnected', peer: given.integer('peer') }),
    };
  }

  /** The state lines that changed since the last block (all of them after `status`). */
  private stateLines(): string[] {
    const actor = this.actor;
    if (actor === null) return [];
    const snapshot = actor.getSnapshot();
    // An input the machine refuses stops it before it has any context to show.
    const lines = snapshot.status === 'error' && snapshot.context?.quorum === undefined
      ? []
      : describeState(snapshot, replicaMachine.root as AnyStateNode);
    if (this.failure !== null) lines.unshift(['error', this.failure]);
    const shown: string[] = [];
    const current = new Map(lines);
    for (const [label, text] of lines) {
      const isNew = this.shownState.get(label) !== text;
      if (this.showAll || label === 'state' || isNew) shown.push(`${label}: ${text}`);
    }
    for (const label of this.shownState.keys()) {
      if (!current.has(label)) shown.push(`${label}: -`);
    }
    this.shownState = current;
    return shown;
  }
}
