// Renders a machine as a Mermaid `stateDiagram-v2` straight from its state node tree, so
// `corral machines` publishes diagrams that never drift from the code. Pure string building:
// nested, parallel and final states, event, guard, action, `after` and `always` labels.
import type { AnyStateMachine, AnyStateNode, AnyTransitionDefinition } from 'xstate';

interface Edge {
  sourcePath: readonly string[];
  targetPath: readonly string[];
  label: string;
}

const indentUnit = '  ';

/** The Mermaid source for `machine`, one statement per line. */
export function toMermaid(machine: AnyStateMachine): string {
  const edgesByBlock = new Map<string, Edge[]>();
  for (const edge of collectEdges(machine.root)) {
    const block = blockKey(commonParentPath(edge.sourcePath, edge.targetPath));
    edgesByBlock.set(block, [...(edgesByBlock.get(block) ?? []), edge]);
  }
  const lines = ['stateDiagram-v2'];
  renderChildren(machine.root, 1, edgesByBlock, lines);
  return `${lines.join('\n')}\n`;
}

/** Mermaid state ids may not contain dots: `live.active` becomes `live_active`. */
export function mermaidStateId(path: readonly string[]): string {
  return path.map((key) => key.replace(/[^A-Za-z0-9_]/g, '_')).join('_');
}

function renderChildren(
  node: AnyStateNode,
  depth: number,
  edgesByBlock: Map<string, Edge[]>,
  lines: string[],
): void {
  const indent = indentUnit.repeat(depth);
  const initialTarget = node.initial?.target[0];
  if (initialTarget !== undefined && node.type !== 'parallel') {
    lines.push(`${indent}[*] --> ${mermaidStateId(initialTarget.path)}`);
  }
  const children: AnyStateNode[] = Object.values(node.states);
  children.forEach((child, position) => {
    if (node.type === 'parallel' && position > 0) lines.push(`${indent}--`);
    renderState(child, depth, edgesByBlock, lines);
  });
  for (const child of children) {
    if (child.type === 'final') lines.push(`${indent}${mermaidStateId(child.path)} --> [*]`);
  }
  for (const edge of edgesByBlock.get(blockKey(node.path)) ?? []) {
    const source = mermaidStateId(edge.sourcePath);
    const target = mermaidStateId(edge.targetPath);
    lines.push(`${indent}${source} --> ${target} : ${edge.label}`);
  }
}

function renderState(
  node: AnyStateNode,
  depth: number,
  edgesByBlock: Map<string, Edge[]>,
  lines: string[],
): void {
  const indent = indentUnit.repeat(depth);
  const id = mermaidStateId(node.path);
  const declaration = id === node.key ? `state ${id}` : `state "${node.key}" as ${id}`;
  if (Object.keys(node.states).length > 0) {
    lines.push(`${indent}${declaration} {`);
    renderChildren(node, depth + 1, edgesByBlock, lines);
    lines.push(`${indent}}`);
  } else if (id !== node.key) {
    lines.push(`${indent}${declaration}`);
  }
  if (node.description !== undefined) {
    lines.push(`${indent}note right of ${id} : ${sanitize(node.description)}`);
  }
}

/** Every transition of `node` and its descendants; a targetless one is drawn as a self-loop. */
function collectEdges(node: AnyStateNode): Edge[] {
  const transitions = [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
  const edges: Edge[] = transitions.flatMap((transition: AnyTransitionDefinition) => {
    const targets: readonly AnyStateNode[] = transition.target?.length ? transition.target : [node];
    return targets.map((target) => ({
      sourcePath: node.path,
      targetPath: target.path,
      label: transitionLabel(transition),
    }));
  });
  for (const child of Object.values(node.states)) edges.push(...collectEdges(child));
  return edges;
}

/** `event [guard] / action, action`, with `after <delay>` for delayed transitions. */
function transitionLabel(transition: AnyTransitionDefinition & { delay?: unknown }): string {
  let trigger = transition.eventType === '' ? 'always' : transition.eventType;
  if (transition.delay !== undefined) {
    const delay = transition.delay;
    trigger = `after ${typeof delay === 'number' ? `${delay}ms` : implementationName(delay)}`;
  }
  const guard = transition.guard === undefined ? '' : ` [${implementationName(transition.guard)}]`;
  const actions = (transition.actions ?? []).map(implementationName);
  const effects = actions.length > 0 ? ` / ${actions.join(', ')}` : '';
  return sanitize(`${trigger}${guard}${effects}`);
}

/** The provided name of an action, guard or delay, however XState serialised it. */
function implementationName(implementation: unknown): string {
  if (typeof implementation === 'string') return implementation.replace(/^xstate\./, '');
  if (typeof implementation === 'function' || typeof implementation === 'object') {
    if (implementation === null) return 'inline';
    const type = (implementation as { type?: unknown }).type;
    if (typeof type === 'string') return type.replace(/^xstate\./, '');
    if (typeof implementation === 'function' && implementation.name) return implementation.name;
  }
  return 'inline';
}

/** The deepest composite strictly containing both ends: where Mermaid accepts the edge. */
function commonParentPath(sourcePath: readonly string[], targetPath: readonly string[]): string[] {
  const sourceParent = sourcePath.slice(0, -1);
  const targetParent = targetPath.slice(0, -1);
  const common: string[] = [];
  for (let index = 0; index < Math.min(sourceParent.length, targetParent.length); index++) {
    if (sourceParent[index] !== targetParent[index]) break;
    common.push(sourceParent[index] as string);
  }
  return common;
}

function blockKey(path: readonly string[]): string {
  return path.join('.');
}

// Mermaid ends a statement at a newline or semicolon, and reads `:` after the first as text.
function sanitize(text: string): string {
  return text.replace(/[\r\n;]+/g, ' ').trim();
}
