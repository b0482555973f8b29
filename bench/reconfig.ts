// Reconfig benchmark: corral and Apache ZooKeeper 3.8 side by side, rounds alternating (A B A B),
// each a 5-server layout with reconfigEnabled=true. Three steps are measured while one client
// writes (each setData awaited, walking the servers on failure as ZooKeeper's client does):
//   add     — servers 4 and 5, started with the members plus themselves, added with -add;
//   remove  — 4 and 5 removed again;
//   leader  — the leader removed, handing over to a successor.
// For each: the reconfig's reply time, the time until every remaining server's /zookeeper/config
// shows the new version ("active everywhere"), and the longest gap between successful writes
// from the request until a second after that.
// Usage: node dist/bench/reconfig.js [--rounds 2] [--tick-time 200] [--skip-zookeeper]
//   [--skip-corral]
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { WireConnection, type ClientRequest } from '../client/wire.js';
import { FailoverWriter } from './failover.js';
import { ReconfigEnsemble, type Implementation } from './reconfig-ensemble.js';
import { median } from './report.js';
import { zkServerScript } from './servers.js';

const password = 'bench';
const superDigest = `super:${createHash('sha1').update(`super:${password}`).digest('base64')}`;
/** Writes are watched this long after the change is active everywhere. */
const settleAfterMs = 1000;
const activationTimeoutMs = 60_000;
const writePath = '/reconfig-bench';

type Step = 'add' | 'remove' | 'leader';

interface StepFigures {
  replyMs: number;
  activeEverywhereMs: number;
  longestWriteGapMs: number;
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** Successful write completions, stamped, from a writer that runs until stopped. */
class WriteRecorder {
  readonly completions: number[] = [];
  private running = true;
  private readonly done: Promise<void>;

  constructor(private readonly writer: FailoverWriter) {
    this.done = this.loop();
  }

  private async loop(): Promise<void> {
    while (this.running) {
      if (await this.writer.write()) this.completions.push(performance.now());
      else await sleep(5);
    }
  }

  /** The longest stretch without a successful write inside [fromMs, toMs]. */
  longestGap(fromMs: number, toMs: number): number {
    let previous = [...this.completions].reverse().find((at) => at <= fromMs) ?? fromMs;
    let longest = 0;
    for (const at of this.completions) {
      if (at <= fromMs) continue;
      if (at > toMs) break;
      longest = Math.max(longest, at - previous);
      previous = at;
    }
    return Math.max(longest, toMs - previous);
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.done;
    this.writer.close();
  }
}

async function superConnection(ensemble: ReconfigEnsemble, id: number): Promise<WireConnection> {
  const connection = await WireConnection.open({ host: '127.0.0.1', port: ensemble.clientPort(id),
    timeoutMs: 10_000 });
  await connection.request({ kind: 'auth', authType: 0, scheme: 'digest',
    auth: Buffer.from(`super:${password}`) });
  return connection;
}

/** The version line of a /zookeeper/config text. */
function versionOf(data: Buffer | null | undefined): number | undefined {
  const line = /^version=([0-9a-f]+)$/m.exec(data?.toString('utf8') ?? '');
  return line === null ? undefined : Number.parseInt(line[1]!, 16);
}

/** Polls every server in `ids` until its /zookeeper/config carries `version` or a later one. */
async function waitActive(ensemble: ReconfigEnsemble, ids: number[], version: number) {
  const deadline = performance.now() + activationTimeoutMs;
  for (const id of ids) {
    while (performance.now() < deadline) {
      // A fresh session each time: a server that changes leaders drops its clients meanwhile.
      const seen = await configVersionOn(ensemble, id);
      if ((seen ?? -1) >= version) break;
      await sleep(5);
    }
    if (performance.now() >= deadline) throw new Error(`server ${id} never showed ${version}`);
  }
}

async function configVersionOn(ensemble: ReconfigEnsemble, id: number) {
  let connection: WireConnection | undefined;
  try {
    connection = await WireConnection.open({ host: '127.0.0.1', port: ensemble.clientPort(id),
      timeoutMs: 10_000, handshakeTimeoutMs: 1000 });
    const reply = await connection.request({ kind: 'getData', path: '/zookeeper/config',
      watch: false } as ClientRequest);
    return versionOf((reply.body as { data?: Buffer | null }).data);
  } catch {
    return undefined;
  } finally {
    connection?.destroy();
  }
}

async function measureStep(
  ensemble: ReconfigEnsemble,
  recorder: WriteRecorder,
  via: number,
  request: { joining?: string; leaving?: string },
  remaining: number[],
): Promise<StepFigures> {
  const admin = await superConnection(ensemble, via);
  try {
    const before = await admin.request({ kind: 'getData', path: '/zookeeper/config',
      watch: false } as ClientRequest);
    const previous = versionOf((before.body as { data?: Buffer | null }).data) ?? 0;
    const startMs = performance.now();
    // A reconfig that moves leadership costs its server's clients the connection (ZooKeeper's
    // followers drop them as they follow the successor): the reply is then lost, and activation
    // is seen on the servers instead.
    const reply = await admin.request({
      kind: 'reconfig', joiningServers: request.joining ?? null,
      leavingServers: request.leaving ?? null, newMembers: null, currentConfigId: -1n,
    }).catch(() => undefined);
    const replyMs = reply === undefined ? Number.NaN : performance.now() - startMs;
    if (reply !== undefined && reply.header.err !== 0) {
      throw new Error(`${ensemble.options.implementation}: reconfig ${JSON.stringify(request)} ` +
        `failed with ${reply.header.err}`);
    }
    await waitActive(ensemble, remaining, previous + 1);
    const activeEverywhereMs = performance.now() - startMs;
    await sleep(settleAfterMs);
    return {
      replyMs,
      activeEverywhereMs,
      longestWriteGapMs: recorder.longestGap(startMs, startMs + activeEverywhereMs + settleAfterMs),
    };
  } finally {
    await admin.close().catch(() => undefined);
  }
}

async function runRound(
  implementation: Implementation,
  tickTimeMs: number,
): Promise<Record<Step, StepFigures>> {
  const ensemble = await ReconfigEnsemble.create({ implementation, size: 5, superDigest,
    tickTimeMs });
  try {
    for (const id of [1, 2, 3]) ensemble.start(id, [1, 2, 3]);
    await ensemble.waitForLeader([1, 2, 3]);
    ensemble.start(4, [1, 2, 3, 4]);
    ensemble.start(5, [1, 2, 3, 5]);
    await ensemble.waitForLeader([1, 2, 3, 4, 5]);
    const targets = [1, 2, 3].map((id) => ({ host: '127.0.0.1', port: ensemble.clientPort(id) }));
    const leader = await ensemble.waitForLeader([1, 2, 3]);
    // The writer starts on a follower of the original three, as an application would.
    const writer = new FailoverWriter(targets, [1, 2, 3].findIndex((id) => id !== leader),
      writePath, Buffer.alloc(128, 7));
    if (!(await writer.createNode())) throw new Error(`${implementation}: cannot create`);
    const recorder = new WriteRecorder(writer);
    try {
      await sleep(500);
      const via = [1, 2, 3].find((id) => id !== leader)!;
      const add = await measureStep(ensemble, recorder, via,
        { joining: `${ensemble.serverLine(4)},${ensemble.serverLine(5)}` }, [1, 2, 3, 4, 5]);
      const remove = await measureStep(ensemble, recorder, via, { leaving: '4,5' }, [1, 2, 3]);
      const current = await ensemble.waitForLeader([1, 2, 3]);
      const follower = [1, 2, 3].find((id) => id !== current)!;
      const handOver = await measureStep(ensemble, recorder, follower,
        { leaving: String(current) }, [1, 2, 3].filter((id) => id !== current));
      return { add, remove, leader: handOver };
    } finally {
      await recorder.stop();
    }
  } finally {
    await ensemble.destroy();
  }
}

async function main(): Promise<void> {
  const flags = new Command()
    .description('reconfig: time to activation and longest write gap, corral vs ZooKeeper 3.8')
    .option('--rounds <n>', 'rounds per system, alternating', '2')
    .option('--tick-time <ms>', 'zoo.cfg tickTime of every server', '200')
    .option('--skip-zookeeper', 'measure corral only')
    .option('--skip-corral', 'measure ZooKeeper only')
    .parse()
    .opts<{ rounds: string; tickTime: string; skipZookeeper?: boolean; skipCorral?: boolean }>();
  const rounds = Math.max(1, Number(flags.rounds));
  const systems: Implementation[] = flags.skipZookeeper === true || !existsSync(zkServerScript)
    ? ['corral']
    : ['corral', 'zookeeper'];
  if (flags.skipCorral === true) systems.splice(systems.indexOf('corral'), 1);
  const results = new Map<Implementation, Array<Record<Step, StepFigures>>>();
  for (let round = 0; round < rounds; round++) {
    for (const system of systems) {
      const figures = await runRound(system, Number(flags.tickTime));
      results.set(system, [...(results.get(system) ?? []), figures]);
      console.error(`round ${round + 1} ${system}: ${JSON.stringify(figures)}`);
    }
  }
  console.log(`median of ${rounds} round(s), tickTime ${flags.tickTime} ms`);
  console.log('system     step        reply ms  active everywhere ms  longest write gap ms');
  for (const system of systems) {
    for (const step of ['add', 'remove', 'leader'] as const) {
      // A reply lost with its connection (the leader step) is left out of the median and
      // counted: "95 (1 lost)", or "lost" when every round lost it.
      const of = (pick: (figures: StepFigures) => number) => {
        const values = results.get(system)!.map((round) => pick(round[step]));
        const kept = values.filter((value) => !Number.isNaN(value));
        const lost = values.length - kept.length;
        if (kept.length === 0) return 'lost';
        return `${median(kept).toFixed(0)}${lost === 0 ? '' : ` (${lost} lost)`}`;
      };
      console.log(`${system.padEnd(10)} ${step.padEnd(7)} ${of((f) => f.replyMs).padStart(12)}  ` +
        `${of((f) => f.activeEverywhereMs).padStart(20)}  ${of((f) => f.longestWriteGapMs)
          .padStart(20)}`);
    }
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (process.env.DEBUG ? error.stack : error.message) : error);
  process.exitCode = 1;
});
