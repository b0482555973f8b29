// A machine's definition (the JSON `corral machines` exports and a replica's hello carries) read
// as a tree of state nodes with their outgoing transitions, and a state value read as the set of
// state node ids it makes active: what the page draws and lights. No DOM here.
import type { StreamStateValue } from '../../protocol/machine-stream.js';

export type StateNodeType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

/** One outgoing transition of a state node as a chip shows it. */
export interface ChartTransition {
  /** The event type as the definition names it ('peer.notification', 'xstate.after.tick.…'). */
  event: string;
  /** What a person reads: 'after tick' for a delayed transition, 'done election' for done. */
  eventLabel: string;
  /** Target state node ids without '#'; empty for a targetless transition. */
  targets: string[];
  guard?: string;
}

export interface ChartNode {
  /** The state node id ('replica.following.phase.broadcast'). */
  id: string;
  key: string;
  type: StateNodeType;
  children: ChartNode[];
  transitions: ChartTransition[];
}

/** Chips per node at most: a definition with an eventless loop of guards stays drawable. */
const transitionsPerNodeMax = 40;
/** Depth at most: a definition is data from a server, read defensively. */
const depthMax = 16;

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

function stripHash(target: string): string {
  return target.startsWith('#') ? target.slice(1) : target;
}

/** How an event reads on a chip: 'after tick' for 'xstate.after.tick.replica.x', 'done election'
 * for 'xstate.done.actor.election'. */
export function eventLabelOf(event: string): string {
  const after = /^xstate\.after\.([^.]+)\./.exec(event);
  if (after !== null) return `after ${after[1]}`;
  const done = /^xstate\.done\.(?:actor|state)\.(.+)$/.exec(event);
  if (done !== null) return `done ${done[1]}`;
  const error = /^xstate\.error\.actor\.(.+)$/.exec(event);
  if (error !== null) return `error ${error[1]}`;
  return event === '' ? '(always)' : event;
}

function transitionsOf(node: Record<string, unknown>): ChartTransition[] {
  const list = Array.isArray(node.transitions) ? node.transitions : [];
  const seen = new Set<string>();
  const shown: ChartTransition[] = [];
  for (const item of list) {
    const transition = asRecord(item);
    if (transition === undefined) continue;
    const event = typeof transition.eventType === 'string' ? transition.eventType : '';
    const rawTargets = Array.isArray(transition.target) ? transition.target : [];
    const targets = rawTargets.filter((t): t is string => typeof t === 'string').map(stripHash);
    // Guarded alternatives to the same target read as one chip.
    const key = `${event}→${targets.join(',')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const guard = typeof transition.guard === 'string' ? transition.guard : undefined;
    shown.push({
      event, eventLabel: eventLabelOf(event), targets, ...(guard === undefined ? {} : { guard }),
    });
    if (shown.length >= transitionsPerNodeMax) break;
  }
  return shown;
}

function nodeOf(value: unknown, depth: number): ChartNode | undefined {
  const node = asRecord(value);
  if (node === undefined || typeof node.id !== 'string') return undefined;
  const type = typeof node.type === 'string' ? node.type as StateNodeType : 'atomic';
  const children: ChartNode[] = [];
  const states = asRecord(node.states);
  if (states !== undefined && depth < depthMax) {
    const ordered = Object.values(states)
      .map((child) => asRecord(child))
      .filter((child): child is Record<string, unknown> => child !== undefined)
      .sort((a, b) => (Number(a.order) || 0) - (Number(b.order) || 0));
    for (const child of ordered) {
      const parsed = nodeOf(child, depth + 1);
      if (parsed !== undefined) children.push(parsed);
    }
  }
  return {
    id: node.id,
    key: typeof node.key === 'string' ? node.key : node.id,
    type,
    children,
    transitions: transitionsOf(node),
  };
}

/** The definition as a chart, or undefined when it is not a machine definition. */
export function chartOf(definition: unknown): ChartNode | undefined {
  return nodeOf(definition, 0);
}

/** Every node of the chart by id. */
export function nodesById(root: ChartNode): Map<string, ChartNode> {
  const byId = new Map<string, ChartNode>();
  const stack = [root];
  while (stack.length > 0) {
    const node = stack.pop()!;
    byId.set(node.id, node);
    stack.push(...node.children);
  }
  return byId;
}

/**
 * The ids of the state nodes a state value makes active: the root, each named child on the
 * path, and every region of a parallel node. Works from the value alone (ids are the path joined
 * with dots, as XState names nodes without explicit ids), so it needs no chart.
 */
export function activeStateIds(rootId: string, value: StreamStateValue): Set<string> {
  const active = new Set<string>([rootId]);
  const visit = (prefix: string, current: StreamStateValue, depth: number): void => {
    if (depth > depthMax) return;
    if (typeof current === 'string') {
      active.add(`${prefix}.${current}`);
      return;
    }
    for (const [region, child] of Object.entries(current)) {
      const id = `${prefix}.${region}`;
      active.add(id);
      visit(id, child, depth + 1);
    }
  };
  visit(rootId, value, 0);
  return active;
}

/** A state value as one readable path: 'live.active', 'following(phase:broadcast,…)'. */
export function statePath(value: StreamStateValue): string {
  if (typeof value === 'string') return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [key, child] = entries[0]!;
    return `${key}.${statePath(child)}`;
  }
  return entries.map(([key, child]) => `${key}:${statePath(child)}`).join(' | ');
}

/** The top-level state of a value ('following' of {following: {...}}). */
export function topState(value: StreamStateValue): string {
  if (typeof value === 'string') return value;
  return Object.keys(value)[0] ?? '';
}
