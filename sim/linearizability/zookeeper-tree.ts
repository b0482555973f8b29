// The sequential ZooKeeper semantics the checker's models (and the tests' reference
// implementation) share: an immutable tree of znodes with data, version and a per-parent create
// counter, and the effect and reply of each modelled operation, with ZooKeeper's error codes.

import { ErrorCode, errorName } from '../../protocol/errors.js';
import { sequenceSuffix } from '../../tree/paths.js';

/** A write as it may also appear inside multi. Data is a string: recorders decode buffers. */
export type ZooKeeperWrite =
  | { kind: 'create'; path: string; data: string; sequential?: boolean }
  | { kind: 'delete'; path: string; version: number }
  | { kind: 'setData'; path: string; data: string; version: number }
  | { kind: 'check'; path: string; version: number };

export type ZooKeeperInput =
  | ZooKeeperWrite
  | { kind: 'getData' | 'exists'; path: string }
  | { kind: 'multi'; ops: ZooKeeperWrite[] }
  | { kind: 'sync'; path: string };

/**
 * Replies. exists on a missing znode is `{ kind: 'error', code: noNode }` (ZooKeeper answers
 * with a null stat). A failed multi answers every op with an error: ok (0) before the failing
 * op, its code at it, runtimeInconsistency after it (DataTree.processTxn).
 */
export type ZooKeeperOutput =
  | { kind: 'error'; code: number }
  | { kind: 'created'; path: string }
  | { kind: 'deleted' }
  | { kind: 'set'; version: number }
  | { kind: 'checked' }
  | { kind: 'data'; data: string; version: number }
  | { kind: 'stat'; version: number }
  | { kind: 'multi'; results: ZooKeeperOutput[] }
  | { kind: 'synced' };

export interface Znode {
  readonly data: string;
  readonly version: number;
  /** Children ever created here: the next sequential suffix (corral's stored cversion). */
  readonly childrenCreated: number;
  readonly childCount: number;
}

/** An immutable tree; `key` identifies it for the search's memo table. */
export class ZooKeeperTree {
  private renderedKey: string | undefined;

  constructor(readonly nodes: ReadonlyMap<string, Znode>) {}

  static withRoot(initial: Readonly<Record<string, string>> = {}): ZooKeeperTree {
    const nodes = new Map<string, Znode>([['/', emptyNode('')]]);
    for (const path of Object.keys(initial).sort()) {
      const parent = nodes.get(parentOf(path));
      if (parent === undefined) throw new Error(`initial tree: ${path} has no parent`);
      nodes.set(parentOf(path), bumpChildren(parent, 1, 1));
      nodes.set(path, emptyNode(initial[path]!));
    }
    return new ZooKeeperTree(nodes);
  }

  key(): string {
    if (this.renderedKey === undefined) {
      const parts: string[] = [];
      for (const path of [...this.nodes.keys()].sort()) {
        const node = this.nodes.get(path)!;
        parts.push(`${path}\u0001${node.data}\u0001${node.version},${node.childrenCreated}`);
      }
      this.renderedKey = parts.join('\u0002');
    }
    return this.renderedKey;
  }
}

function emptyNode(data: string): Znode {
  return { data, version: 0, childrenCreated: 0, childCount: 0 };
}

function bumpChildren(node: Znode, created: number, count: number): Znode {
  return {
    ...node,
    childrenCreated: node.childrenCreated + created,
    childCount: node.childCount + count,
  };
}

export function parentOf(path: string): string {
  const lastSlash = path.lastIndexOf('/');
  return lastSlash <= 0 ? '/' : path.slice(0, lastSlash);
}

function versionMatches(expected: number, actual: number): boolean {
  return expected === -1 || expected === actual;
}

type Applied = { output: ZooKeeperOutput; nodes: Map<string, Znode> | undefined };

/** One write against a mutable copy; nodes is undefined when it failed (nothing changed). */
function applyWrite(nodes: Map<string, Znode>, write: ZooKeeperWrite): Applied {
  const fail = (code: number): Applied => ({ output: { kind: 'error', code }, nodes: undefined });
  switch (write.kind) {
    case 'create': {
      const parent = nodes.get(parentOf(write.path));
      if (parent === undefined) return fail(ErrorCode.noNode);
      const suffix = write.sequential === true ? sequenceSuffix(parent.childrenCreated) : '';
      const path = write.path + suffix;
      if (nodes.has(path)) return fail(ErrorCode.nodeExists);
      nodes.set(parentOf(write.path), bumpChildren(parent, 1, 1));
      nodes.set(path, emptyNode(write.data));
      return { output: { kind: 'created', path }, nodes };
    }
    case 'delete': {
      const node = nodes.get(write.path);
      // The root cannot go (PrepRequestProcessor rejects it as a special path).
      if (write.path === '/') return fail(ErrorCode.badArguments);
      if (node === undefined) return fail(ErrorCode.noNode);
      if (!versionMatches(write.version, node.version)) return fail(ErrorCode.badVersion);
      if (node.childCount > 0) return fail(ErrorCode.notEmpty);
      nodes.delete(write.path);
      const parentPath = parentOf(write.path);
      nodes.set(parentPath, bumpChildren(nodes.get(parentPath)!, 0, -1));
      return { output: { kind: 'deleted' }, nodes };
    }
    case 'setData': {
      const node = nodes.get(write.path);
      if (node === undefined) return fail(ErrorCode.noNode);
      if (!versionMatches(write.version, node.version)) return fail(ErrorCode.badVersion);
      const version = node.version + 1;
      nodes.set(write.path, { ...node, data: write.data, version });
      return { output: { kind: 'set', version }, nodes };
    }
    case 'check': {
      const node = nodes.get(write.path);
      if (node === undefined) return fail(ErrorCode.noNode);
      if (!versionMatches(write.version, node.version)) return fail(ErrorCode.badVersion);
      return { output: { kind: 'checked' }, nodes: undefined };
    }
  }
}

/** All-or-nothing: the first failing op leaves the tree as it was. */
function applyMulti(tree: ZooKeeperTree, ops: readonly ZooKeeperWrite[]): Applied {
  const nodes = new Map(tree.nodes);
  const results: ZooKeeperOutput[] = [];
  for (const [index, op] of ops.entries()) {
    const applied = applyWrite(nodes, op);
    if (applied.output.kind === 'error') {
      const failed = ops.map((_, at): ZooKeeperOutput => {
        if (at < index) return { kind: 'error', code: ErrorCode.ok };
        if (at === index) return applied.output;
        return { kind: 'error', code: ErrorCode.runtimeInconsistency };
      });
      return { output: { kind: 'multi', results: failed }, nodes: undefined };
    }
    results.push(applied.output);
  }
  return { output: { kind: 'multi', results }, nodes };
}

/** The reply to `input` in `tree` and the tree after it (the same object when unchanged). */
export function applyInput(
  tree: ZooKeeperTree,
  input: ZooKeeperInput,
): { output: ZooKeeperOutput; tree: ZooKeeperTree } {
  switch (input.kind) {
    case 'getData':
    case 'exists': {
      const node = tree.nodes.get(input.path);
      if (node === undefined) return { output: { kind: 'error', code: ErrorCode.noNode }, tree };
      const output: ZooKeeperOutput = input.kind === 'exists'
        ? { kind: 'stat', version: node.version }
        : { kind: 'data', data: node.data, version: node.version };
      return { output, tree };
    }
    case 'sync':
      return { output: { kind: 'synced' }, tree };
    case 'multi': {
      const applied = applyMulti(tree, input.ops);
      const next = applied.nodes === undefined ? tree : new ZooKeeperTree(applied.nodes);
      return { output: applied.output, tree: next };
    }
    default: {
      const applied = applyWrite(new Map(tree.nodes), input);
      const next = applied.nodes === undefined ? tree : new ZooKeeperTree(applied.nodes);
      return { output: applied.output, tree: next };
    }
  }
}

/** A canonical one-line rendering: equal renderings mean equal outputs. */
export function renderOutput(output: ZooKeeperOutput): string {
  switch (output.kind) {
    case 'error':
      return output.code === ErrorCode.ok ? 'ok' : errorName(output.code);
    case 'created':
      return `created ${output.path}`;
    case 'set':
    case 'stat':
      return `${output.kind} v${output.version}`;
    case 'data':
      return `data ${JSON.stringify(output.data)} v${output.version}`;
    case 'multi':
      return `[${output.results.map(renderOutput).join(', ')}]`;
    case 'deleted':
    case 'checked':
    case 'synced':
      return output.kind;
  }
}

export function renderInput(input: ZooKeeperInput): string {
  switch (input.kind) {
    case 'create':
      return `create${input.sequential === true ? '-sequential' : ''} ${input.path} ` +
        JSON.stringify(input.data);
    case 'setData':
      return `setData ${input.path} ${JSON.stringify(input.data)} v${input.version}`;
    case 'delete':
    case 'check':
      return `${input.kind} ${input.path} v${input.version}`;
    case 'multi':
      return `multi [${input.ops.map(renderInput).join('; ')}]`;
    case 'getData':
    case 'exists':
    case 'sync':
      return `${input.kind} ${input.path}`;
  }
}
