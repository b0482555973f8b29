// Drives Apache ZooKeeper's zkCli.sh against a server: one JVM per call, with the commands piped
// on stdin (zkCli reads a script when given no command), then splits its merged output into
// command output lines and watch events, dropping the banner and logging noise.

import { spawn } from 'node:child_process';
import { zkCliScript } from '../support/zookeeper.js';

export interface ZkCliRun {
  /** What the commands printed (results and error messages), in order. */
  lines: string[];
  /** Watch events other than connection-state ones, as `Type path`, in delivery order. */
  events: string[];
  /** The whole merged stdout and stderr, for failure messages. */
  raw: string;
  /** zkCli exits with 1 when a command failed, so a failing script is not an error here. */
  exitCode: number | null;
}

const noise = [
  /^SLF4J:/,
  /^Connecting to /,
  /^Welcome to ZooKeeper!$/,
  /^JLine support is /,
  /^WATCHER::$/,
  /^WatchedEvent state:\w+ type:None path:null$/,
  /^\s*$/,
  /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ /,
  /^\s+at /,
];

export async function runZkCli(connectString: string, commands: string[]): Promise<ZkCliRun> {
  const [raw, exitCode] = await new Promise<[string, number | null]>((resolve, reject) => {
    // Merging stderr into stdout at the descriptor keeps zkCli's line order.
    const child = spawn('/bin/sh', ['-c', `exec "${zkCliScript}" -server ${connectString} 2>&1`], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    let output = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === null) resolve([output, code]);
      else reject(new Error(`zkCli killed by ${signal}:\n${output}`));
    });
    child.stdin.end(`${[...commands, 'quit'].join('\n')}\n`);
  });
  const lines: string[] = [];
  const events: string[] = [];
  for (const line of raw.split('\n')) {
    const event = /^WatchedEvent state:\w+ type:(\w+) path:(\S+)$/.exec(line);
    if (event !== null && event[1] !== 'None') events.push(`${event[1]} ${event[2]}`);
    else if (!noise.some((pattern) => pattern.test(line))) lines.push(line);
  }
  return { lines, events, raw, exitCode };
}

/** Splits the `name = value` lines zkCli prints for a Stat into one record per stat. */
export function statBlocks(lines: string[]): Record<string, string>[] {
  const blocks: Record<string, string>[] = [];
  for (const line of lines) {
    const field = /^(\w+) = (.*)$/.exec(line);
    if (field === null) continue;
    const [, name = '', value = ''] = field;
    if (name === 'cZxid') blocks.push({});
    const current = blocks[blocks.length - 1];
    if (current !== undefined) current[name] = value;
  }
  return blocks;
}

/** The lines that are not part of a printed Stat. */
export function withoutStats(lines: string[]): string[] {
  return lines.filter((line) => !/^\w+ = /.test(line));
}
