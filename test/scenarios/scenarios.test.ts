// The replica's steps as reviewed transcripts (STYLE 13(c), etcd-io/raft's datadriven tests):
// every test/scenarios/*.txt is replayed against the replica machine. After an intended
// behaviour change, `REWRITE_SCENARIOS=1 npx vitest run test/scenarios` rewrites the expected
// output, and the change is reviewed as the diff of the .txt files.
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ScenarioDriver } from './driver.js';
import {
  isRewriting,
  replayScenario,
  rewriteScenario,
  scenarioFiles,
} from './replay.js';
import { parseTranscript } from './transcript.js';

describe('replica transcripts (test/scenarios)', () => {
  it('has transcripts to replay', () => {
    expect(scenarioFiles().length).toBeGreaterThan(0);
  });

  it.each(scenarioFiles().map((file) => [path.basename(file), file]))('%s', (_name, file) => {
    const replay = replayScenario(file);
    if (isRewriting) {
      rewriteScenario(file, replay);
      return;
    }
    const where = replay.differingLines.map((line) => `${replay.file}:${line}`).join(', ');
    const hint = 'output differs; REWRITE_SCENARIOS=1 npx vitest run test/scenarios accepts it';
    expect(replay.actual, `${where}: ${hint}`).toBe(replay.expected);
  });
});

describe('transcript commands', () => {
  /** Each block's output lines. */
  function runBlocks(source: string): string[][] {
    const driver = new ScenarioDriver();
    try {
      return parseTranscript(source, 'inline.txt').flatMap((part) =>
        part.kind === 'block' ? [driver.runBlock(part.block.commands, 'inline.txt')] : [],
      );
    } finally {
      driver.stop();
    }
  }

  const run = (source: string) => runBlocks(source).flat();

  const start = 'replica id=1 voters=1,2,3\n----\n\n';

  it.each([
    ['an unknown command', `${start}frobnicate\n----\n`, 'inline.txt:4: unknown command'],
    ['an unknown argument', `${start}tick 1 speed=2\n----\n`, 'inline.txt:4: unknown argument'],
    ['a malformed number', `${start}storage.appended zxid=0xZZ\n----\n`, 'inline.txt:4: zxid='],
    ['a missing argument', `${start}storage.appended\n----\n`, 'inline.txt:4: missing argument'],
    ['an unknown packet', `${start}receive from=2 HELLO\n----\n`, 'inline.txt:4: unknown packet'],
    ['a command before any replica', 'tick\n----\n', 'inline.txt:1: no replica yet'],
    ['a block without ----', `${start}tick\n\n`, 'inline.txt:4: command without a ----'],
    ['blocks run together', `${start}tick\n----\ntick\n----\n`, 'inline.txt:7: blocks must be'],
  ])('fails with file and line on %s', (_case, source, message) => {
    expect(() => run(source)).toThrow(message);
  });

  it('prints a machine stopped by an assertion as an error line', () => {
    expect(run('replica id=1 voters=\n----\n')).toContain(
      'error: quorum rule violated: an ensemble has at least one voter',
    );
  });

  it('prints the state line and the lines that changed, and every line on status', () => {
    const [, unchanged, status] = runBlocks(`${start}elapse 1ms\n----\n\nstatus\n----\n`);
    expect(unchanged).toEqual(['state: looking.notServing']);
    expect(status?.map((line) => line.split(':')[0])).toEqual([
      'state',
      'election',
      'epochs',
      'log',
      'epochEnds',
      'decision',
    ]);
  });
});
