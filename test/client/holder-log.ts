// An independent record of who holds a lock or leads an election, shared by every contender in
// this process and in child processes: one append-only file (O_APPEND, so each small line lands
// whole and the file's order is the order of the writes), checked afterwards for overlaps.

import { appendFileSync, readFileSync } from 'node:fs';

/** enter/exit: a lock holder; lead/unlead: a leader; killed: the test SIGKILLed its process. */
export type HolderEventKind = 'enter' | 'exit' | 'lead' | 'unlead' | 'killed';

export interface HolderEvent {
  atMs: number;
  kind: HolderEventKind;
  id: string;
}

/** Lines the checker reads before refusing: a bound on a runaway contender. */
export const holderEventsMax = 100_000;

export function appendHolderEvent(log: string, kind: HolderEventKind, id: string): void {
  appendFileSync(log, `${Date.now()} ${kind} ${id}\n`);
}

export function readHolderEvents(log: string): HolderEvent[] {
  const lines = readFileSync(log, 'utf8').split('\n').filter((line) => line !== '');
  if (lines.length > holderEventsMax) throw new Error(`more than ${holderEventsMax} events`);
  return lines.map((line) => {
    const [atMs, kind, id] = line.split(' ');
    return { atMs: Number(atMs), kind: kind as HolderEventKind, id: id as string };
  });
}

export interface ExclusionReport {
  /** One line per moment two held at once (or an exit by a non-holder): empty when exclusive. */
  violations: string[];
  /** Who holds at the end of the log. */
  holders: string[];
  /** Everyone who ever held, in the order they started to. */
  order: string[];
}

/**
 * Replays the log in file order. `enter`/`lead` while someone else holds is a violation; a
 * `killed` line ends the holding of that participant (its process can no longer write an exit).
 */
export function checkExclusion(events: HolderEvent[]): ExclusionReport {
  const holders = new Set<string>();
  const violations: string[] = [];
  const order: string[] = [];
  for (const [index, event] of events.entries()) {
    if (event.kind === 'enter' || event.kind === 'lead') {
      if (holders.size > 0) {
        violations.push(`#${index} ${event.id} ${event.kind} while ${[...holders].join(',')} held`);
      }
      holders.add(event.id);
      order.push(event.id);
    } else if (event.kind === 'killed') {
      holders.delete(event.id);
    } else if (!holders.delete(event.id)) {
      violations.push(`#${index} ${event.id} ${event.kind} without holding`);
    }
  }
  return { violations, holders: [...holders], order };
}
