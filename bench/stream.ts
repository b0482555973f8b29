// `npm run bench:stream`: what the machine event stream costs writes. A 3-replica corral ensemble
// (processes, admin servers on loopback) takes setData from 16 sessions in rounds, alternately
// with nobody listening and with one dashboard's worth of listeners (an SSE reader on every
// replica's /commands/machine_events, parsing each record, in a process of its own as a
// dashboard's server is); it prints each round's throughput, the replicas' CPU per write, and
// the means. Issue 15 asks for at most 10% lower with one attached.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { askSrvr, freePorts, projectRoot } from './servers.js';
import { modeOf } from './ensemble.js';
import { runWorkload, type WorkloadResult } from './workload.js';

interface Member {
  id: number;
  clientPort: number;
  adminPort: number;
  process: ChildProcess;
}

const replicas = 3;
const electionTimeoutMs = 60_000;

/** Lays out and starts the ensemble; resolves once one leads and the others follow. */
async function startEnsemble(dir: string): Promise<Member[]> {
  const ports = await freePorts(replicas * 4);
  const servers = Array.from({ length: replicas }, (_, index) =>
    `server.${index + 1}=127.0.0.1:${ports[index * 4 + 1]}:${ports[index * 4 + 2]}`);
  const members = Array.from({ length: replicas }, (_, index): Member => {
    const id = index + 1;
    const [clientPort, , , adminPort] = ports.slice(index * 4, index * 4 + 4) as number[];
    const dataDir = join(dir, `replica-${id}`);
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'myid'), `${id}\n`);
    const config = join(dir, `zoo-${id}.cfg`);
    writeFileSync(config, [
      'tickTime=500', 'initLimit=20', 'syncLimit=10', `dataDir=${dataDir}`,
      `clientPort=${clientPort}`, 'clientPortAddress=127.0.0.1', '4lw.commands.whitelist=*',
      'admin.enableServer=true', 'admin.serverAddress=127.0.0.1', `admin.serverPort=${adminPort}`,
      ...servers, '',
    ].join('\n'));
    const child = spawn(process.execPath,
      [join(projectRoot, 'dist', 'cli', 'main.js'), 'server', '--config', config,
        '--log-level', 'warn'], { stdio: 'ignore' });
    return { id, clientPort: clientPort!, adminPort: adminPort!, process: child };
  });
  const deadline = Date.now() + electionTimeoutMs;
  while (Date.now() < deadline) {
    const modes = await Promise.all(members.map((member) =>
      askSrvr(member.clientPort).then(modeOf, () => 'no answer')));
    const leaders = modes.filter((mode) => mode === 'leader').length;
    if (leaders === 1 && modes.filter((mode) => mode === 'follower').length === replicas - 1) {
      return members;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error('the ensemble did not elect a leader in time');
}

/** A dashboard's listener: reads the stream as it comes and parses every record. */
class StreamReader {
  records = 0;
  bytes = 0;
  private pending = '';
  private response: IncomingMessage | undefined;

  static async open(port: number): Promise<StreamReader> {
    const reader = new StreamReader();
    await new Promise<void>((resolve, reject) => {
      const outgoing = request(
        { host: '127.0.0.1', port, path: '/commands/machine_events' },
        (response) => {
          if (response.statusCode !== 200) {
            reject(new Error(`machine_events answered ${response.statusCode}`));
            return;
          }
          reader.response = response;
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => reader.take(chunk));
          resolve();
        },
      );
      outgoing.on('error', reject);
      outgoing.end();
    });
    return reader;
  }

  private take(chunk: string): void {
    this.bytes += chunk.length;
    this.pending += chunk;
    const blocks = this.pending.split('\n\n');
    this.pending = blocks.pop() ?? '';
    for (const block of blocks) {
      for (const line of block.split('\n')) {
        if (!line.startsWith('data: ')) continue;
        JSON.parse(line.slice(6));
        this.records++;
      }
    }
  }

  close(): void {
    this.response?.destroy();
  }
}

/** `--read PORT,…`: the listeners' process. Says `ready` once every stream answers, and prints
 * the records it read when its standard input ends. */
async function readStreams(ports: number[]): Promise<void> {
  const readers = await Promise.all(ports.map((port) => StreamReader.open(port)));
  process.stdout.write('ready\n');
  process.stdin.resume();
  process.stdin.on('end', () => {
    for (const reader of readers) reader.close();
    process.stdout.write(`${readers.reduce((total, reader) => total + reader.records, 0)}\n`);
    process.exit(0);
  });
}

/** The listeners' process for one round: resolves once it reads; `stop` ends it with its count. */
async function startListeners(members: Member[]): Promise<{ stop(): Promise<number> }> {
  const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--read',
    members.map((member) => member.adminPort).join(',')], { stdio: ['pipe', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const check = () => (output.startsWith('ready\n') ? resolve() : undefined);
    child.stdout.on('data', check);
    child.once('exit', () => reject(new Error(`the listeners' process ended: ${output}`)));
  });
  return {
    async stop() {
      child.stdin.end();
      await exited;
      return Number(output.slice('ready\n'.length).trim());
    },
  };
}

interface Round {
  listening: boolean;
  result: WorkloadResult;
  records: number;
  /** The replicas' CPU time (user and system, all three) per 1000 writes: steadier than ops/s
   * on a shared machine. */
  cpuMsPerThousand: number;
}

/** A process's CPU time so far, in ms (Linux: /proc/PID/stat utime + stime, 100 ticks/s). */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

function replicasCpuMs(members: Member[]): number {
  return members.reduce((total, member) => total + cpuMs(member.process.pid), 0);
}

async function round(members: Member[], listening: boolean, index: number, flags: Flags):
  Promise<Round> {
  const listeners = listening ? await startListeners(members) : undefined;
  let records = 0;
  try {
    const cpuBefore = replicasCpuMs(members);
    const result = await runWorkload({
      targets: members.map((member) => ({ host: '127.0.0.1', port: member.clientPort })),
      operation: 'setData', sessions: flags.sessions, outstanding: flags.outstanding,
      durationMs: flags.roundSeconds * 1000, valueBytes: flags.valueBytes, readShare: 0,
      root: `/bench-stream-${process.pid}-${index}`,
    });
    const cpu = replicasCpuMs(members) - cpuBefore;
    records = (await listeners?.stop()) ?? 0;
    return { listening, result, records, cpuMsPerThousand: (cpu / Math.max(1, result.ops)) * 1000 };
  } finally {
    if (records === 0) await listeners?.stop();
  }
}

interface Flags {
  rounds: number;
  roundSeconds: number;
  sessions: number;
  outstanding: number;
  valueBytes: number;
  warmupSeconds: number;
}

function flagsOf(argv: string[]): Flags {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string', default: '3' },
      'round-seconds': { type: 'string', default: '5' },
      sessions: { type: 'string', default: '16' },
      outstanding: { type: 'string', default: '4' },
      'value-bytes': { type: 'string', default: '64' },
      'warmup-seconds': { type: 'string', default: '5' },
    },
  });
  const positive = (name: string, value: string, max: number): number => {
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed < 1 || parsed > max) {
      throw new Error(`--${name} must be an integer from 1 to ${max}`);
    }
    return parsed;
  };
  return {
    rounds: positive('rounds', values.rounds, 20),
    roundSeconds: positive('round-seconds', values['round-seconds'], 120),
    sessions: positive('sessions', values.sessions, 256),
    outstanding: positive('outstanding', values.outstanding, 64),
    valueBytes: positive('value-bytes', values['value-bytes'], 1024 * 1024),
    warmupSeconds: positive('warmup-seconds', values['warmup-seconds'], 120),
  };
}

function mean(values: number[]): number {
  return values.reduce((total, value) => total + value, 0) / Math.max(1, values.length);
}

async function main(): Promise<void> {
  if (process.argv[2] === '--read') {
    return readStreams((process.argv[3] ?? '').split(',').map(Number));
  }
  const flags = flagsOf(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'corral-bench-stream-'));
  let members: Member[] = [];
  const interrupted = () => {
    for (const member of members) member.process.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    members = await startEnsemble(dir);
    console.log(`machine event stream bench: ${replicas}-replica corral ensemble, setData ` +
      `${flags.valueBytes} B from ${flags.sessions} sessions x ${flags.outstanding} ` +
      `outstanding, ${flags.rounds} pairs of ${flags.roundSeconds} s rounds after a ` +
      `${flags.warmupSeconds} s warm-up`);
    // A first round nobody counts: the replicas' code is compiled hot before any comparison.
    await round(members, false, 0, { ...flags, roundSeconds: flags.warmupSeconds });
    console.log('round  listeners          ops/s  p50(ms)  p99(ms)  records/s  cpu ms/1000 writes');
    const rounds: Round[] = [];
    for (let pair = 0; pair < flags.rounds; pair++) {
      // Which goes first alternates, so that a drift in the machine's load evens out.
      const order = pair % 2 === 0 ? [false, true] : [true, false];
      for (const listening of order) {
        const done = await round(members, listening, rounds.length + 1, flags);
        rounds.push(done);
        const { opsPerSecond, p50Ms, p99Ms } = done.result;
        console.log(`${String(rounds.length).padEnd(5)}  ` +
          `${(listening ? 'one per replica' : 'none').padEnd(15)}  ${opsPerSecond.toFixed(0)
            .padStart(8)}  ${p50Ms.toFixed(2).padStart(7)}  ${p99Ms.toFixed(2).padStart(7)}  ` +
          `${(done.records / flags.roundSeconds).toFixed(0).padStart(9)}  ` +
          `${done.cpuMsPerThousand.toFixed(0).padStart(18)}`);
      }
    }
    const without = mean(rounds.filter((r) => !r.listening).map((r) => r.result.opsPerSecond));
    const withListeners = mean(rounds.filter((r) => r.listening).map((r) => r.result.opsPerSecond));
    const percent = (from: number, to: number) => {
      const change = ((to - from) / from) * 100;
      return `${change >= 0 ? '+' : ''}${change.toFixed(1)}%`;
    };
    console.log(`mean ops/s: ${without.toFixed(0)} with nobody listening, ` +
      `${withListeners.toFixed(0)} with one listener per replica ` +
      `(${percent(without, withListeners)})`);
    const cpuWithout = mean(rounds.filter((r) => !r.listening).map((r) => r.cpuMsPerThousand));
    const cpuWith = mean(rounds.filter((r) => r.listening).map((r) => r.cpuMsPerThousand));
    console.log(`mean replica CPU per 1000 writes: ${cpuWithout.toFixed(0)} ms with nobody ` +
      `listening, ${cpuWith.toFixed(0)} ms with one listener per replica ` +
      `(${percent(cpuWithout, cpuWith)})`);
  } finally {
    for (const member of members) member.process.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
