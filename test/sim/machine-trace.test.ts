// `corral sim --seed N --trace-out FILE` through the real command: the file is a header, each
// replica's hello, then records and marks under one rising seq; replaying its transitions in
// order (each taken from a state the actor was in) ends in the very states an untraced run of
// the same seed reports, so tracing changes nothing of the run. With --reconfig too, and a cap.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runSimCommand, type SimFlags } from '../../cli/sim-command.js';
import type {
  StreamStateValue,
  TraceLine,
  TraceMark,
} from '../../protocol/machine-stream.js';
import { runSimulation } from '../../sim/simulation.js';
import { expectTraceLine } from '../actors/inspection/stream-format.js';

const dir = mkdtempSync(join(tmpdir(), 'corral-trace-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const defaults: SimFlags = {
  seeds: '1', firstSeed: '1', replicas: '3', quorum: 'majority', observers: '0', clients: '3',
  steps: '4000', faultChance: '0.006', spares: '2',
};

async function traceOf(
  flags: Partial<SimFlags>,
): Promise<{ lines: TraceLine[]; printed: string[] }> {
  const file = join(dir, `seed-${flags.seed}-${flags.reconfig === true ? 'r' : 'm'}-` +
    `${flags.variant ?? 'real'}-${flags.traceLinesMax ?? 'all'}.jsonl`);
  const printed: string[] = [];
  await runSimCommand({ ...defaults, ...flags, traceOut: file }, (line) => printed.push(line));
  const text = readFileSync(file, 'utf8');
  const lines = text.trimEnd().split('\n').map((line) => JSON.parse(line) as TraceLine);
  return { lines, printed };
}

/** Every state node id active in `value` of machine `root` ('replica.following.phase', …). */
function activeIds(root: string, value: StreamStateValue): Set<string> {
  const ids = new Set([root]);
  const walk = (prefix: string, state: StreamStateValue) => {
    if (typeof state === 'string') {
      ids.add(`${prefix}.${state}`);
      return;
    }
    for (const [region, child] of Object.entries(state)) {
      ids.add(`${prefix}.${region}`);
      walk(`${prefix}.${region}`, child);
    }
  };
  walk(root, value);
  return ids;
}

interface Replayed {
  machine: string;
  state: StreamStateValue;
}

/**
 * Replays the records: each actor's state follows its records, and every transition must leave
 * a state node that was active (before the step, or entered earlier in the same step).
 */
function replay(lines: readonly TraceLine[]): Map<string, Map<string, Replayed>> {
  const replicas = new Map<string, Map<string, Replayed>>();
  for (const line of lines) {
    if (line.kind === 'trace' || line.kind === 'mark' || line.kind === 'hello') continue;
    const actors = replicas.get(line.replica) ?? new Map<string, Replayed>();
    replicas.set(line.replica, actors);
    if (line.kind === 'actor') actors.set(line.actor, { machine: line.machine, state: line.state });
    if (line.kind === 'ended') actors.delete(line.actor);
    if (line.kind !== 'transition') continue;
    const actor = actors.get(line.actor);
    expect(actor, `an actor record before ${JSON.stringify(line)}`).toBeDefined();
    const active = activeIds(actor!.machine, actor!.state);
    const entered: string[] = [];
    for (const taken of line.transitions) {
      const fromEntered = entered.some((id) => taken.source.startsWith(id));
      expect(active.has(taken.source) || fromEntered, JSON.stringify(line)).toBe(true);
      entered.push(...taken.targets);
    }
    actor!.state = line.state;
  }
  return replicas;
}

function expectWellFormed(lines: readonly TraceLine[], replicas: string[]): void {
  for (const line of lines) expectTraceLine(line);
  expect(lines[0]).toMatchObject({ kind: 'trace', replicas });
  expect(lines.slice(1, 1 + replicas.length).map((line) => line.kind === 'hello' && line.replica))
    .toEqual(replicas);
  const sequenced = lines.slice(1 + replicas.length) as Array<Exclude<TraceLine, { seq?: never }>>;
  const seqs = sequenced.map((line) => (line as { seq: number }).seq);
  expect(seqs.every((seq, index) => seq === seqs[0]! + index)).toBe(true);
  const times = sequenced.map((line) => (line as { time: number }).time);
  expect(times.every((time, index) => index === 0 || time >= times[index - 1]!)).toBe(true);
  expect(lines.at(-1)).toMatchObject({ kind: 'mark', mark: 'end' });
}

/** The replica machine's state per replica, as the records leave it. */
function replicaStates(lines: readonly TraceLine[]): Record<string, StreamStateValue> {
  const states: Record<string, StreamStateValue> = {};
  for (const [replica, actors] of replay(lines)) {
    for (const actor of actors.values()) {
      if (actor.machine === 'replica') states[replica] = actor.state;
    }
  }
  return states;
}

describe('simulator machine traces (--trace-out)', { timeout: 60_000 }, () => {
  it('writes a trace that replays to the final states of the run (seed 5)', async () => {
    const { lines, printed } = await traceOf({ seed: '5' });
    expect(printed[0]).toMatch(/^trace written to .* \(\d+ lines\)$/);
    expectWellFormed(lines, ['1', '2', '3']);
    const marks = lines.filter((line): line is TraceMark => line.kind === 'mark');
    expect(marks.some((mark) => mark.mark === 'fault')).toBe(true);
    expect(marks.some((mark) => mark.mark === 'client' && mark.replica !== undefined)).toBe(true);
    // Sessions' machines are there too, with their ids as labels.
    expect(lines.some((line) => line.kind === 'actor' && line.machine === 'session' &&
      /^0x[0-9a-f]+$/.test(line.label ?? ''))).toBe(true);
    const untraced = await runSimulation({ seed: 5 });
    expect(replicaStates(lines)).toEqual(untraced.finalStates);
  });

  it('traces a run with reconfigs, each spare a replica of its own', async () => {
    const { lines } = await traceOf({ seed: '11', reconfig: true, steps: '1500' });
    expectWellFormed(lines, ['1', '2', '3', '4', '5']);
    const untraced = await runSimulation({ seed: 11, reconfig: true, spares: 2, steps: 1_500 });
    expect(replicaStates(lines)).toEqual(untraced.finalStates);
  });

  it('marks the violation that failed a broken variant\'s run, before the end', async () => {
    // electionIgnoresZxid loses a committed write on seed 9 (test/sim/simulation-variants.test.ts).
    const { lines } = await traceOf({ seed: '9', variant: 'electionIgnoresZxid' });
    expect(lines[0]).toMatchObject({ flags: ['--seed', '9', '--variant', 'electionIgnoresZxid'] });
    const marks = lines.filter((line): line is TraceMark => line.kind === 'mark');
    const violations = marks.filter((mark) => mark.mark === 'violation');
    expect(violations.map((mark) => mark.text))
      .toContainEqual(expect.stringMatching(/^durability:/));
    expect(marks.at(-1)!.mark).toBe('end');
  });

  it('stops writing records at the line cap, with a mark saying so', async () => {
    const { lines } = await traceOf({ seed: '5', steps: '1000', traceLinesMax: '200' });
    const cut = lines.findIndex((line) =>
      line.kind === 'mark' && /cap of 200 lines/.test(line.text));
    // 200 lines, then the mark.
    expect(cut).toBe(200);
    // Past it: the run's violations (none here) and its end only.
    expect(lines.slice(cut + 1).map((line) => line.kind === 'mark' && line.mark)).toEqual(['end']);
  });
});
