// The order rule of the one replica host, as a type: every effect the replica machine names says
// when the host performs it relative to the machine's transition. Sends and storage requests only
// queue (the outbox, the storage chain) and so run inside the transition; whatever reaches outside
// the machine (the server core, the sessions, events back into the machine) runs after it; and a
// storage request's completion reaches the machine only as a `storage.*` event once it is durable
// (persist, then send: the machine ACKs nothing before that event). A new effect cannot be added
// to ReplicaEffect without saying which it is.
import type { ReplicaEffect, replicaMachine } from '../../machines/replica.js';

/** The replica machine, or a deliberately broken variant of it. */
export type ReplicaMachine = typeof replicaMachine;

export type ReplicaEffectType = ReplicaEffect['type'];

export type EffectParams<Type extends ReplicaEffectType> = Extract<
  ReplicaEffect,
  { type: Type }
>['params'];

export type EffectStage =
  /** Queues on the outbox during the transition: never calls back into the machine. */
  | 'send'
  /**
   * Queues on the storage chain during the transition, in the order asked; the machine hears
   * `storage.*` only once the request is durable, never from inside the transition.
   */
  | 'persist'
  /** Reaches outside the machine (server core, sessions, new events): after the transition. */
  | 'afterTransition';

export const effectStages = {
  sendPeerMessage: 'send',
  connectToLeader: 'send',
  sendSyncStream: 'send',
  serveSnapshot: 'send',
  persistAcceptedEpoch: 'persist',
  persistCurrentEpoch: 'persist',
  appendProposals: 'persist',
  truncateLog: 'persist',
  loadSnapshot: 'persist',
  applyCommitted: 'afterTransition',
  acceptForwardedRequests: 'afterTransition',
  announceRole: 'afterTransition',
  touchSessions: 'afterTransition',
  answerSync: 'afterTransition',
  revalidateSession: 'afterTransition',
  sessionRevalidated: 'afterTransition',
  activateConfig: 'afterTransition',
  scheduleRelayFlush: 'afterTransition',
} as const satisfies Record<ReplicaEffectType, EffectStage>;

/** What a host does for each effect; `effectStages` says when. */
export type EffectHandlers = {
  [Type in ReplicaEffectType]: (params: EffectParams<Type>) => void;
};

/** What performs the effects of one running machine: its host's handlers, and its deferral. */
export interface EffectPerformer {
  handlers: EffectHandlers;
  /** Takes the work that must wait until the transition is over. */
  defer(work: () => void): void;
}

/**
 * The machine's actions (for `.provide({ actions })`), each performed when its stage says, by
 * whatever performer runs the actor (`performerOf(self)`). Providing a machine builds it anew,
 * so a machine is provided once, and every host that runs it registers as its actors' performer.
 */
export function effectActions(
  performerOf: (self: unknown) => EffectPerformer | undefined,
): MachineActions {
  const actions: Record<string, (arguments_: { self: unknown }, params: unknown) => void> = {};
  for (const type of Object.keys(effectStages) as ReplicaEffectType[]) {
    const afterTransition = effectStages[type] === 'afterTransition';
    actions[type] = ({ self }, params) => {
      const performer = performerOf(self);
      if (performer === undefined) throw new Error(`replica host: no host runs this actor`);
      const handler = performer.handlers[type] as (params: unknown) => void;
      if (afterTransition) performer.defer(() => handler(params));
      else handler(params);
    };
  }
  return actions as unknown as MachineActions;
}

/** The shape `.provide({ actions })` takes for the replica machine's host effects. */
type MachineActions = {
  [Type in ReplicaEffectType]: (arguments_: { self: unknown }, params: EffectParams<Type>) => void;
};

/** The host performing each running actor's effects (see effectActions). */
const performers = new WeakMap<object, EffectPerformer>();
/** Each machine (the real one, a variant) provided once with the hosts' effects. */
const hostedMachines = new WeakMap<ReplicaMachine, ReplicaMachine>();

/** `machine` provided with the hosts' effects (once: providing builds the whole machine anew). */
export function hostedMachine(machine: ReplicaMachine): ReplicaMachine {
  let hosted = hostedMachines.get(machine);
  if (hosted === undefined) {
    const actions = effectActions((self) => performers.get(self as object));
    hosted = machine.provide({ actions }) as ReplicaMachine;
    hostedMachines.set(machine, hosted);
  }
  return hosted;
}

/** `actor` (of a hosted machine) has its effects performed by `performer`. */
export function registerPerformer(actor: object, performer: EffectPerformer): void {
  performers.set(actor, performer);
}
