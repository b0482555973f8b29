// Tab completion as zkCli's JLineZNodeCompleter offers it: the last word of the line up to the
// cursor is completed as a znode path when it starts with `/` (the children of its parent,
// fetched from the server) and as a command name otherwise.

import type { Client } from '../../client/index.js';
import { commandNames } from './session.js';

/** A Tab must not hang the prompt when the server is slow or gone. */
export const completionTimeoutMs = 2_000;

/** The candidates for the last word and that word (readline's completer result). */
export type Completion = [string[], string];

export async function complete(line: string, client: Client | null): Promise<Completion> {
  const words = line.split(' ');
  const word = line.endsWith(' ') ? '' : (words[words.length - 1] ?? '');
  if (!word.startsWith('/')) {
    return [commandNames.filter((name) => name.startsWith(word)), word];
  }
  const slash = word.lastIndexOf('/');
  const parent = slash === 0 ? '/' : word.slice(0, slash);
  const prefix = word.slice(slash + 1);
  if (client === null || client.isFinished) return [[], word];
  try {
    const children = await client.getChildren(parent, { timeoutMs: completionTimeoutMs });
    const base = parent === '/' ? '/' : `${parent}/`;
    const matches = children.filter((child) => child.startsWith(prefix)).sort();
    return [matches.map((child) => `${base}${child}`), word];
  } catch {
    return [[], word];
  }
}
