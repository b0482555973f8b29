// How the machine event stream shows what XState's inspection hands over: an event as its type
// and scalar fields (bigints as strings, bytes and secrets redacted, one level of nesting
// flattened), a transition as the ids of its source and target state nodes, an actor by its
// catalogue name and a label a person recognises. The records themselves are
// protocol/machine-stream.ts's.
import type { AnyActorRef, AnyStateMachine, AnyTransitionDefinition } from 'xstate';
import { machineDefinitionJson } from '../../machines/definition-json.js';
import { machineCatalog } from '../../machines/index.js';
import type { StreamEvent, StreamStateValue } from '../../protocol/machine-stream.js';
import { redactDefinition, redactSecrets } from './redaction.js';

/** Fields shown of one event: enough to tell events apart, small enough to stream every one. */
export const eventFieldsMax = 12;
/** A string field longer than this is cut (paths, reasons): a record stays a few hundred bytes. */
export const eventTextMax = 120;

/** Catalogue name by machine id ('clientConnection' → 'client-connection'). */
const catalogueNames: ReadonlyMap<string, string> = new Map(
  machineCatalog.map((entry) => [entry.machine.id, entry.name]),
);

let definitions: Record<string, unknown> | undefined;

/** Every catalogue machine's definition as `corral machines` exports it (redacted), once. */
export function machineDefinitions(): Record<string, unknown> {
  if (definitions === undefined) {
    const built: Record<string, unknown> = {};
    for (const entry of machineCatalog) {
      built[entry.name] = JSON.parse(redactDefinition(machineDefinitionJson(entry.machine)));
    }
    definitions = built;
  }
  return definitions;
}

/** The logic of a state machine actor (promise and callback actors have no chart to show). */
export function machineOf(actor: AnyActorRef): AnyStateMachine | undefined {
  const logic = (actor as { logic?: unknown }).logic as Partial<AnyStateMachine> | undefined;
  const isMachine = typeof logic === 'object' && logic !== null &&
    typeof logic.getStateNodeById === 'function' && typeof logic.id === 'string';
  return isMachine ? (logic as AnyStateMachine) : undefined;
}

export function catalogueNameOf(machine: AnyStateMachine): string {
  return catalogueNames.get(machine.id) ?? machine.id;
}

/** What a person recognises an actor by: a session by its id in hex, the replica by its id. */
export function labelOf(
  machineName: string,
  context: unknown,
  replica: string,
): string | undefined {
  if (machineName === 'replica') return `replica ${replica}`;
  if (machineName !== 'session') return undefined;
  const sessionId = (context as { sessionId?: unknown } | undefined)?.sessionId;
  if (typeof sessionId === 'bigint') return `0x${BigInt.asUintN(64, sessionId).toString(16)}`;
  return undefined;
}

/** A state value as plain JSON (XState's values are already strings and nested objects). */
export function stateValueOf(value: unknown): StreamStateValue {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return String(value);
  const regions: { [region: string]: StreamStateValue } = {};
  for (const [region, child] of Object.entries(value)) regions[region] = stateValueOf(child);
  return regions;
}

type Scalar = string | number | boolean | null;

/** A field's value as shown, or undefined to leave the field out (objects are flattened). */
function scalarOf(key: string, value: unknown): Scalar | undefined {
  const redacted = redactSecrets(key, value);
  switch (typeof redacted) {
    case 'string':
      return redacted.length > eventTextMax ? `${redacted.slice(0, eventTextMax)}…` : redacted;
    case 'number':
    case 'boolean':
      return redacted;
    case 'bigint':
      return redacted.toString();
    case 'object':
      return redacted === null ? null : undefined;
    default:
      return undefined;
  }
}

/**
 * The event as shown: its type, its scalar fields, an array as its length, and the scalar
 * fields of a nested object under dotted names (`message.type`, `message.zxid`), at most
 * eventFieldsMax of them. Must not throw: it runs inside the actor that took the event.
 */
export function streamEventOf(event: { type: string }): StreamEvent {
  const shown: StreamEvent = { type: String(event.type) };
  let fields = 0;
  const add = (key: string, value: unknown): boolean => {
    if (fields >= eventFieldsMax) return false;
    if (Array.isArray(value)) {
      shown[`${key}.length`] = value.length;
      fields++;
      return true;
    }
    const scalar = scalarOf(key.slice(key.lastIndexOf('.') + 1), value);
    if (scalar === undefined) return true;
    shown[key] = scalar;
    fields++;
    return true;
  };
  for (const [key, value] of Object.entries(event)) {
    if (key === 'type') continue;
    const isNested = typeof value === 'object' && value !== null && !Array.isArray(value) &&
      typeof redactSecrets(key, value) === 'object';
    if (!isNested) {
      if (!add(key, value)) break;
      continue;
    }
    for (const [inner, innerValue] of Object.entries(value as object)) {
      if (Array.isArray(innerValue) || typeof innerValue !== 'object' || innerValue === null) {
        if (!add(`${key}.${inner}`, innerValue)) break;
      } else if (inner === 'vote') {
        // A notification's vote (leaderId, zxid, peerEpoch): the dashboard lists votes by it.
        for (const [field, fieldValue] of Object.entries(innerValue as object)) {
          if (!add(`${key}.vote.${field}`, fieldValue)) break;
        }
      }
    }
  }
  return shown;
}

/** One transition taken: its source state node's id and its targets' (none for a targetless). */
export function transitionOf(
  transition: AnyTransitionDefinition,
): { source: string; targets: string[] } {
  return {
    source: transition.source.id,
    targets: (transition.target ?? []).map((target) => target.id),
  };
}
