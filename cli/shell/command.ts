// The shape of one shell command (zkCli's CliCommand: a name, its option text for usage lines,
// its flags) and the helpers every command shares: turning client errors into zkCli's messages,
// checking paths as the Java client does, and walking a subtree as ZKUtil does.

import type { Client, WatchListener } from '../../client/index.js';
import { ErrorCode, ZooKeeperError } from '../../protocol/errors.js';
import { keeperErrorMessage, pathProblem } from './formatting.js';
import { CliError, type OptionGroupSpec, type OptionSpec, type ParsedLine } from './parser.js';

export interface CommandContext {
  client: Client;
  /** A line to stdout (zkCli's `out.println`). */
  out: (line: string) => void;
  /** Text to stdout without a line break (zkCli's `out.print`). */
  outPartial: (text: string) => void;
  /** A line to stderr (zkCli's `err.println`). */
  err: (line: string) => void;
  /** The session's default watcher: prints events while printwatches is on. */
  watcher: WatchListener;
}

export interface ShellCommand {
  name: string;
  /** The text after the name in usage lines, as zkCli 3.8 prints it. */
  optionText: string;
  options: OptionSpec[];
  group?: OptionGroupSpec;
  /** Fewer words than this (the name included) and the usage line is the error. */
  wordsMin: number;
  /** Commands zkCli runs without parsing flags at all (whoami, close). */
  unparsed?: boolean;
  run: (context: CommandContext, parsed: ParsedLine, words: string[]) => Promise<void>;
}

export function usageOf(command: ShellCommand): string {
  return `${command.name} ${command.optionText}`;
}

export function flag(name: string, description: string, takesValue = false): OptionSpec {
  return { name, description, takesValue };
}

/** The IllegalArgumentException the Java client throws for a bad path (MalformedPath). */
export function checkPath(path: string, sequential = false): void {
  const problem = pathProblem(path, sequential);
  if (problem !== undefined) throw new CliError(problem);
}

/** Runs a client call, turning a ZooKeeper error into zkCli's message for it. */
export async function zk<T>(call: Promise<T>, path?: string): Promise<T> {
  try {
    return await call;
  } catch (error) {
    throw toCliError(error, path);
  }
}

export function toCliError(error: unknown, path?: string): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof ZooKeeperError) return new CliError(keeperErrorMessage(error, path));
  return new CliError(error instanceof Error ? error.message : String(error));
}

export function isNoNode(error: unknown): boolean {
  return error instanceof ZooKeeperError && error.code === ErrorCode.noNode;
}

export function childPath(parent: string, child: string): string {
  return parent === '/' ? `/${child}` : `${parent}/${child}`;
}

/** Bounds a walk of the tree, so a huge or changing tree cannot hold the shell forever. */
export const subtreeNodesMax = 1_000_000;

/**
 * ZKUtil.visitSubTreeDFS: the root (read first, so a missing root fails), then each node's
 * children sorted, before their own subtrees; nodes that vanish meanwhile are skipped.
 */
export async function visitSubtree(
  client: Client,
  root: string,
  watch: WatchListener | undefined,
  visit: (path: string) => Promise<void> | void,
): Promise<void> {
  checkPath(root);
  await zk(client.getData(root, watch === undefined ? {} : { watch }), root);
  await visit(root);
  let visited = 1;
  const helper = async (path: string): Promise<void> => {
    let children: string[];
    try {
      children = await client.getChildren(path, watch === undefined ? {} : { watch });
    } catch (error) {
      if (isNoNode(error)) return;
      throw toCliError(error, path);
    }
    children.sort();
    for (const child of children) await visit(childPath(path, child));
    visited += children.length;
    if (visited > subtreeNodesMax) throw new CliError(`more than ${subtreeNodesMax} nodes`);
    for (const child of children) await helper(childPath(path, child));
  };
  await helper(root);
}

/** ZKUtil.listSubTreeBFS: the root and every node below it, breadth first. */
export async function listSubtree(client: Client, root: string): Promise<string[]> {
  const tree = [root];
  for (let index = 0; index < tree.length; index += 1) {
    if (tree.length > subtreeNodesMax) throw new CliError(`more than ${subtreeNodesMax} nodes`);
    const node = tree[index] as string;
    const children = await zk(client.getChildren(node), node);
    for (const child of children) tree.push(childPath(node, child));
  }
  return tree;
}
