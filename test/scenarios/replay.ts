// Replays the transcripts in test/scenarios/*.txt: each block's commands run against the replica
// machine and its output is compared with (or, under REWRITE_SCENARIOS=1, written over) the
// expected output, so a behaviour change reaches review as a diff of the .txt files.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScenarioDriver } from './driver.js';
import { formatTranscript, parseTranscript } from './transcript.js';

export const scenarioDirectory = path.dirname(fileURLToPath(import.meta.url));

/** Set REWRITE_SCENARIOS=1 to accept the machine's current output as the expected one. */
export const isRewriting = process.env.REWRITE_SCENARIOS === '1';

export interface ScenarioReplay {
  /** The transcript's path relative to the repository, as errors name it. */
  file: string;
  expected: string;
  actual: string;
  /** Lines (1-based) of the blocks whose output differs from the expected one. */
  differingLines: number[];
  visited: Set<string>;
}

export function scenarioFiles(): string[] {
  return readdirSync(scenarioDirectory)
    .filter((name) => name.endsWith('.txt'))
    .sort()
    .map((name) => path.join(scenarioDirectory, name));
}

function displayName(file: string): string {
  return path.relative(path.resolve(scenarioDirectory, '..', '..'), file);
}

/** Runs one transcript; throws ScenarioError (file:line) on a malformed command. */
export function replayScenario(file: string): ScenarioReplay {
  const name = displayName(file);
  const expected = readFileSync(file, 'utf8');
  const parts = parseTranscript(expected, name);
  const driver = new ScenarioDriver();
  const outputs: string[][] = [];
  const differingLines: number[] = [];
  try {
    for (const part of parts) {
      if (part.kind !== 'block') continue;
      const output = driver.runBlock(part.block.commands, name);
      outputs.push(output);
      if (output.join('\n') !== part.block.expected.join('\n')) {
        differingLines.push(part.block.line);
      }
    }
  } finally {
    driver.stop();
  }
  const actual = formatTranscript(parts, outputs);
  return { file: name, expected, actual, differingLines, visited: driver.visited };
}

/** Writes the replayed output over the transcript (REWRITE_SCENARIOS=1). */
export function rewriteScenario(file: string, replay: ScenarioReplay): void {
  if (replay.actual !== replay.expected) writeFileSync(file, replay.actual);
}

/** Every leaf state path the transcripts visit, for the replica machine's graph test. */
export function visitedLeafPaths(): Set<string> {
  const visited = new Set<string>();
  for (const file of scenarioFiles()) {
    for (const leaf of replayScenario(file).visited) visited.add(leaf);
  }
  return visited;
}
