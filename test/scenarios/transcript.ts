// The transcript file format of test/scenarios/*.txt, after etcd-io/raft's datadriven tests: a
// block is one or more command lines, a `----` line and the expected output up to a blank or
// comment line; lines between blocks (comments starting with #, blank lines) are kept on rewrite.

/** One command line of a block, with where it stands for error messages. */
export interface CommandLine {
  text: string;
  /** 1-based line number in the transcript file. */
  line: number;
}

export interface Block {
  commands: CommandLine[];
  /** The expected output as written in the file (no blank lines). */
  expected: string[];
  /** 1-based line number of the block's first command. */
  line: number;
}

/** A transcript: blocks, and the text between them kept verbatim. */
export type TranscriptPart = { kind: 'text'; text: string } | { kind: 'block'; block: Block };

export const separator = '----';

/** A malformed transcript or command: the message names file and line. */
export class ScenarioError extends Error {
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'ScenarioError';
  }
}

function isText(line: string): boolean {
  return line.trim() === '' || line.trimStart().startsWith('#');
}

/** Splits a transcript into text and blocks; a command group without `----` is an error. */
export function parseTranscript(source: string, file: string): TranscriptPart[] {
  const lines = source.replace(/\n$/, '').split('\n');
  const parts: TranscriptPart[] = [];
  let index = 0;
  while (index < lines.length) {
    const current = lines[index] ?? '';
    if (isText(current)) {
      parts.push({ kind: 'text', text: current });
      index++;
      continue;
    }
    const start = index;
    const commands: CommandLine[] = [];
    while (index < lines.length && lines[index] !== separator) {
      const text = lines[index] ?? '';
      if (isText(text)) {
        throw new ScenarioError(`${file}:${start + 1}`, `command without a ${separator} line`);
      }
      commands.push({ text: text.trim(), line: index + 1 });
      index++;
    }
    if (index >= lines.length) {
      throw new ScenarioError(`${file}:${start + 1}`, `command without a ${separator} line`);
    }
    index++;
    // Output never starts with #: a comment right after a block stays a comment on rewrite.
    const expected: string[] = [];
    while (index < lines.length && !isText(lines[index] ?? '')) {
      // A second ---- means the next command was read as output: rewriting would drop it.
      if (lines[index] === separator) {
        throw new ScenarioError(`${file}:${index + 1}`, 'blocks must be separated by a blank line');
      }
      expected.push(lines[index] ?? '');
      index++;
    }
    parts.push({ kind: 'block', block: { commands, expected, line: start + 1 } });
  }
  return parts;
}

/** The transcript with each block's output replaced by `outputs` (in block order). */
export function formatTranscript(parts: readonly TranscriptPart[], outputs: string[][]): string {
  const lines: string[] = [];
  let blockIndex = 0;
  for (const part of parts) {
    if (part.kind === 'text') {
      lines.push(part.text);
      continue;
    }
    const output = outputs[blockIndex] ?? part.block.expected;
    blockIndex++;
    lines.push(...part.block.commands.map((command) => command.text), separator, ...output);
  }
  return `${lines.join('\n')}\n`;
}
