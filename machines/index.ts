// The catalogue of corral's machines: what `corral machines` exports and what tests walk. Adding a
// machine (replica roles, the client connection) is one entry here.
import type { AnyStateMachine } from 'xstate';
import { clientConnectionMachine } from './client-connection.js';
import { electionCatalogEntry } from './election.js';
import { replicaCatalogEntry } from './replica.js';
import { sessionMachine } from './session.js';

export interface MachineCatalogEntry {
  /** File-name safe: the export writes `<name>.json` and `<name>.mmd`. */
  name: string;
  description: string;
  machine: AnyStateMachine;
}

export const machineCatalog: MachineCatalogEntry[] = [
  {
    name: 'session',
    description:
      'Server-side ZooKeeper session: handshake, live (active ⇄ disconnected) under one expiry ' +
      'timer, then expiring/closing until the closeSession txn is applied.',
    machine: sessionMachine,
  },
  {
    name: 'client-connection',
    description:
      'TypeScript client connection: connecting → connected ⇄ suspended (reconnecting with ' +
      'backoff) → expired | closed | authFailed.',
    machine: clientConnectionMachine,
  },
  electionCatalogEntry,
  replicaCatalogEntry,
];

export { toMermaid } from './mermaid.js';
export { sessionMachine, isSessionEnded, sessionEndedTag } from './session.js';
export { negotiateSessionTimeout, sessionTimeoutBounds } from './rules.js';
