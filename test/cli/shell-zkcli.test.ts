// `corral shell -c` against zkCli.sh: the same commands, in the same order, run by Apache
// ZooKeeper 3.8's zkCli.sh against a ZooKeeper server and by corral's shell against a corral
// server must print the same stdout and stderr and exit with the same code — errors and usage
// lines included. zkCli's connection chatter, zxids and times are normalised away.

import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corralMain, startCorral, type CorralServer } from '../support/corral.js';
import {
  startZooKeeper,
  zkCliScript,
  zookeeperAvailable,
  type ZooKeeperServer,
} from '../support/zookeeper.js';

interface Run {
  stdout: string;
  stderr: string;
  status: number | null;
}

function run(command: string, args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, status });
    });
  });
}

/** What zkCli prints about its connection (not the command's output), and what varies. */
function normalise(text: string): string {
  return text
    .replace(/^Connecting to .*\n/m, '')
    .replace('\nWATCHER::\n', '')
    .replace('\nWatchedEvent state:SyncConnected type:None path:null\n', '')
    .split('\n')
    .filter((line) => !line.startsWith('SLF4J:'))
    .join('\n')
    .replace(/0x[0-9a-f]+/g, '0x…')
    .replace(/^(ctime|mtime) = .*$/gm, '$1 = …');
}

/** In order: each row runs against the state the rows before it left. */
const commands: string[][] = [
  ['create', '/shell', 'hello'],
  ['create', '/shell', 'again'],
  ['get', '-s', '/shell'],
  ['set', '-v', '7', '/shell', 'x'],
  ['create', '-s', '/shell/child-', 'c'],
  ['ls', '-R', '/shell'],
  ['setAcl', '/shell', 'world:anyone:r'],
  ['getAcl', '/shell'],
  ['set', '/shell', 'y'],
  ['stat', '/nope'],
  ['get', '-q', '/shell'],
  ['create'],
  ['nosuch', '/shell'],
];

describe.skipIf(!zookeeperAvailable())('corral shell -c against zkCli.sh 3.8', () => {
  let zookeeper: ZooKeeperServer;
  let corral: CorralServer;

  beforeAll(async () => {
    [zookeeper, corral] = await Promise.all([
      startZooKeeper(),
      startCorral({ zooCfg: ['tickTime=2000', 'extendedTypesEnabled=true'] }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([zookeeper?.stop(), corral?.stop()]);
  });

  it.each(commands.map((words) => [words.join(' '), words] as const))(
    'prints and exits as zkCli.sh does: %s',
    async (_line, words) => {
      const [reference, shell] = await Promise.all([
        run(zkCliScript, ['-server', `127.0.0.1:${zookeeper.port}`, ...words]),
        run(process.execPath, [corralMain, 'shell', `127.0.0.1:${corral.port}`, '-c',
          words.join(' ')]),
      ]);
      const view = (result: Run) => ({
        stdout: normalise(result.stdout),
        stderr: normalise(result.stderr),
        status: result.status,
      });
      expect(view(shell)).toEqual(view(reference));
    },
  );
});
