// The client connection machine run with fakes for the host's effects and a SimulatedClock: the
// test settles each connection attempt and closeSession itself and moves time exactly, and every
// transition the machine takes is recorded so a suite can prove which transitions it exercised.

import { expect } from 'vitest';
import {
  createActor,
  fromPromise,
  SimulatedClock,
  type AnyStateNode,
  type AnyTransitionDefinition,
} from 'xstate';
import { getStateNodes } from 'xstate/graph';
import {
  clientConnectionMachine,
  type ClientConnectionInput,
  type OpenConnectionInput,
  type ProbeServerInput,
  type SessionEstablished,
} from '../../machines/client-connection.js';

export interface Attempt {
  input: OpenConnectionInput;
  /** Aborted when the machine leaves the attempt's state (expired, closed) before it settles. */
  signal: AbortSignal;
  resolve: (established: SessionEstablished) => void;
  reject: (error: unknown) => void;
}

/** One `isro` probe of a server, settled by the test. */
export interface Probe {
  server: string;
  resolve: (answer: string) => void;
  reject: (error: unknown) => void;
}

export interface Closing {
  signal: AbortSignal;
  resolve: () => void;
}

export const servers = [1, 2, 3].map((index) => ({ host: `h${index}`, port: 2180 + index }));

export const established: SessionEstablished = {
  sessionId: 0x42n,
  password: Buffer.alloc(16, 1),
  negotiatedTimeoutMs: 4_000,
  readOnly: false,
};

export const connectionLoss = Object.assign(new Error('refused'), { code: -4 });
export const sessionExpired = Object.assign(new Error('expired'), { code: -112 });
export const closeTimeoutMs = 1_500;

/** Promise settlements run in microtasks: let them land before looking at the state. */
export const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

/** `source.path event` of a transition definition, e.g. `suspended xstate.after.…`. */
export function transitionName(transition: AnyTransitionDefinition): string {
  return `${transition.source.path.join('.')} ${transition.eventType}`;
}

/** Every transition of the definition whose target is `stateKey`. */
export function transitionsInto(stateKey: string): string[] {
  return getStateNodes(clientConnectionMachine.root)
    .flatMap((node: AnyStateNode) => [...node.transitions.values()].flat())
    .filter((transition) => transition.target?.some((target) => target.key === stateKey))
    .map(transitionName)
    .sort();
}

/**
 * Starts the machine with recording fakes; `taken` collects the name of every transition.
 * `input` replaces parts of the default input (servers h1..h3, read-only allowed, no site).
 */
export function startConnection(
  taken: Set<string> = new Set(),
  input: Partial<ClientConnectionInput> = {},
) {
  const clock = new SimulatedClock();
  const attempts: Attempt[] = [];
  const closings: Closing[] = [];
  const probes: Probe[] = [];
  const siteProbes: Probe[] = [];
  const effects: string[] = [];
  const machine = clientConnectionMachine.provide({
    actors: {
      openConnection: fromPromise<SessionEstablished, OpenConnectionInput>(
        ({ input, signal }) =>
          new Promise((resolve, reject) => attempts.push({ input, signal, resolve, reject })),
      ),
      closeSession: fromPromise<void, void>(({ signal }) => {
        effects.push('closeSession');
        return new Promise((resolve) => closings.push({ signal, resolve }));
      }),
      probeServer: fromPromise<string, ProbeServerInput>(({ input }) => {
        const server = `${input.server.host}:${input.server.port}`;
        return new Promise((resolve, reject) => probes.push({ server, resolve, reject }));
      }),
      probeSiteServer: fromPromise<string, ProbeServerInput>(({ input }) => {
        const server = `${input.server.host}:${input.server.port}`;
        return new Promise((resolve, reject) => siteProbes.push({ server, resolve, reject }));
      }),
    },
    actions: {
      reportState: (_, params) => effects.push(`state ${params.state}`),
      restoreSession: () => effects.push('restoreSession'),
      dropConnection: () => effects.push('dropConnection'),
    },
  });
  const actor = createActor(machine, {
    clock,
    input: {
      servers,
      requestedTimeoutMs: 5_000,
      canBeReadOnly: true,
      reconnectBackoffMsBase: 100,
      reconnectBackoffMsMax: 1_000,
      closeTimeoutMs,
      ...input,
    },
    inspect: (inspection) => {
      if (inspection.type !== '@xstate.microstep') return;
      for (const transition of inspection._transitions) taken.add(transitionName(transition));
    },
  });
  actor.start();
  const state = () => actor.getSnapshot().value;
  const lastAttempt = () => attempts.at(-1) as Attempt;
  return { actor, clock, attempts, closings, probes, siteProbes, effects, state, lastAttempt };
}

export type Connection = ReturnType<typeof startConnection>;

/** Connected read-write with `established`, effects cleared. */
export async function startConnected(taken?: Set<string>): Promise<Connection> {
  const connection = startConnection(taken);
  connection.lastAttempt().resolve(established);
  await settle();
  expect(connection.state()).toEqual({ connected: 'readWrite' });
  connection.effects.length = 0;
  return connection;
}
