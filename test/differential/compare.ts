// Runs one seed against two servers at once and compares their normalized transcripts, slot by
// slot; on the first difference it explains the seed, the op index, the op and both answers.
// Either server may be an ensemble with its two slots on different replicas.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeStep, generateSteps, type SessionSlot, type Step } from './generator.js';
import { normalize, type NormalizedLine, type NormalizeOptions } from './normalize.js';
import { runSteps } from './runner.js';

export interface Target {
  name: string;
  port: number;
  /** Each slot's port (replicas of an ensemble); `port` for both slots when absent. */
  ports?: Record<SessionSlot, number>;
}

export interface CompareOptions extends NormalizeOptions {
  /** See RunOptions.syncOnSwitch; applied to both servers alike. */
  syncOnSwitch?: boolean;
}

export interface SeedOutcome {
  seed: number;
  /** Undefined when both servers agreed on everything. */
  mismatch: string | undefined;
  lines: number;
}

/** A whole normalized transcript with each op above its lines, for DIFF_DUMP=directory. */
function dump(steps: readonly Step[], lines: Record<SessionSlot, NormalizedLine[]>): string {
  const out: string[] = [];
  for (const slot of ['A', 'B'] as const) {
    out.push(`=== session ${slot}`);
    let previous: number | undefined;
    for (const line of lines[slot]) {
      if (line.step !== previous) out.push(`#${line.step} ${describeStep(steps[line.step])}`);
      previous = line.step;
      out.push(`    ${line.text}`);
    }
  }
  return `${out.join('\n')}\n`;
}

function context(lines: readonly NormalizedLine[], index: number): string {
  return lines.slice(Math.max(0, index - 3), index).map((line) => `      ${line.text}`).join('\n');
}

interface Difference {
  slot: SessionSlot;
  /** Line index within the slot. */
  index: number;
  /** The op the differing line answers or precedes. */
  step: number;
}

function firstDifference(
  slot: SessionSlot,
  left: readonly NormalizedLine[],
  right: readonly NormalizedLine[],
): Difference | undefined {
  const length = Math.max(left.length, right.length);
  for (let index = 0; index < length; index++) {
    if (left[index]?.text === right[index]?.text) continue;
    const step = Math.min(left[index]?.step ?? Infinity, right[index]?.step ?? Infinity);
    return { slot, index, step };
  }
  return undefined;
}

export async function compareSeed(
  seed: number,
  stepCount: number,
  left: Target,
  right: Target,
  options: CompareOptions = {},
): Promise<SeedOutcome> {
  const steps = generateSteps(seed, stepCount);
  const run = (target: Target) => runSteps({
    ports: target.ports ?? { A: target.port, B: target.port },
    syncOnSwitch: options.syncOnSwitch ?? false,
  }, steps);
  const [leftRun, rightRun] = await Promise.all([run(left), run(right)]);
  const leftLines = normalize(leftRun, options);
  const rightLines = normalize(rightRun, options);
  const dumpDirectory = process.env.DIFF_DUMP;
  if (dumpDirectory !== undefined) {
    writeFileSync(join(dumpDirectory, `seed-${seed}-${left.name}.txt`), dump(steps, leftLines));
    writeFileSync(join(dumpDirectory, `seed-${seed}-${right.name}.txt`), dump(steps, rightLines));
  }
  const lines = leftLines.A.length + leftLines.B.length;
  // Report the earliest op that differs in either session: later differences may be its echoes.
  const difference = (['A', 'B'] as const)
    .map((slot) => firstDifference(slot, leftLines[slot], rightLines[slot]))
    .filter((found): found is Difference => found !== undefined)
    .sort((first, second) => first.step - second.step)[0];
  if (difference !== undefined) {
    const { slot, index, step } = difference;
    const mismatch = [
      `seed ${seed}, session ${slot}, op index ${step}, line ${index}`,
      `  op: ${describeStep(steps[step])}`,
      `  before:\n${context(leftLines[slot], index)}`,
      `  ${left.name}: ${leftLines[slot][index]?.text ?? '(nothing)'}`,
      `  ${right.name}: ${rightLines[slot][index]?.text ?? '(nothing)'}`,
      `  reproduce: DIFF_SEED=${seed} (DIFF_DUMP=dir writes both transcripts)`,
    ].join('\n');
    return { seed, mismatch, lines };
  }
  return { seed, mismatch: undefined, lines };
}

/**
 * Seeds for this run: DIFF_SEED=n runs one, DIFF_SEEDS=n runs n from DIFF_SEED_BASE (default 1),
 * else the CI slice.
 */
export function seedsToRun(ciSlice: number): number[] {
  const single = process.env.DIFF_SEED;
  if (single !== undefined) return [Number(single)];
  const count = Number(process.env.DIFF_SEEDS ?? ciSlice);
  const base = Number(process.env.DIFF_SEED_BASE ?? 1);
  return Array.from({ length: count }, (_, index) => base + index);
}

export const stepsPerSeed = Number(process.env.DIFF_STEPS ?? 200);
