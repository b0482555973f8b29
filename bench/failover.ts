// Failover time of an ensemble: one client writes (setData, each write awaited) while the
// benchmark SIGKILLs the leader that `srvr` names; the figure is the time from the kill to the
// first write sent after it that succeeds. The client tries the servers in turn, as ZooKeeper's
// own client walks its connect string, and opens a fresh session on each reconnect.

import { WireConnection, type ClientRequest } from '../client/wire.js';
import { EnsembleError, type Ensemble, type EnsembleMember } from './ensemble.js';
import type { WorkloadTarget } from './workload.js';

/** How long the ensemble may take to accept a write again after its leader is killed. */
export const recoveryTimeoutMs = 60_000;
/** Writes that must succeed before the kill, so the client is known to be serving. */
const warmupWrites = 50;
const warmupTimeoutMs = 30_000;
const handshakeTimeoutMs = 1000;
const requestTimeoutMs = 2000;
const sessionTimeoutMs = 10_000;
/** Pause after a failed connect or write, so a dead ensemble is not tried in a busy loop. */
const retryPauseMs = 10;

const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

/** A client that writes one node and reconnects to the next server whenever a write fails. */
export class FailoverWriter {
  private connection: WireConnection | undefined;

  constructor(
    private readonly targets: WorkloadTarget[],
    private next: number,
    private readonly path: string,
    private readonly value: Buffer,
  ) {}

  /** Creates the node once (NodeExists is fine); true when the ensemble answered. */
  async createNode(): Promise<boolean> {
    const request: ClientRequest = {
      kind: 'create', opcode: 1, path: this.path, data: this.value, acl: openAcl, flags: 0,
      ttl: -1,
    };
    return (await this.send(request)) !== undefined;
  }

  /** One awaited setData: true when it succeeded, false after a loss, timeout or error reply. */
  async write(): Promise<boolean> {
    const request: ClientRequest = {
      kind: 'setData', path: this.path, data: this.value, version: -1,
    };
    return (await this.send(request)) === 0;
  }

  close(): void {
    this.connection?.destroy();
    this.connection = undefined;
  }

  /** The reply's error code, or undefined when no server answered in time. */
  private async send(request: ClientRequest): Promise<number | undefined> {
    const connection = await this.connected();
    if (connection === undefined) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((done) => {
      timer = setTimeout(() => done(undefined), requestTimeoutMs);
    });
    try {
      const reply = await Promise.race([connection.request(request), timeout]);
      if (reply === undefined) this.close();
      return reply?.header.err;
    } catch {
      this.close();
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** The open connection, or a new session on the next server in turn (undefined if none). */
  private async connected(): Promise<WireConnection | undefined> {
    if (this.connection !== undefined && !this.connection.closed) return this.connection;
    this.close();
    const target = this.targets[this.next % this.targets.length]!;
    this.next++;
    try {
      this.connection = await WireConnection.open({
        host: target.host, port: target.port, timeoutMs: sessionTimeoutMs, handshakeTimeoutMs,
      });
      return this.connection;
    } catch {
      return undefined;
    }
  }
}

/** What the write loop and the benchmark share while a round runs. */
interface RoundState {
  successes: number;
  killedAtMs: number | undefined;
  /** The loop stops at this time; moved once the leader is killed. */
  stopAtMs: number;
}

/** Writes until stopAtMs or until a write sent after the kill succeeds: returns its delay. */
async function writeLoop(writer: FailoverWriter, state: RoundState): Promise<number | undefined> {
  while (performance.now() < state.stopAtMs) {
    const sentAtMs = performance.now();
    if (!(await writer.write())) {
      await sleep(retryPauseMs);
      continue;
    }
    state.successes++;
    const killedAtMs = state.killedAtMs;
    if (killedAtMs !== undefined && sentAtMs >= killedAtMs) return performance.now() - killedAtMs;
  }
  return undefined;
}

export interface FailoverResult {
  killed: EnsembleMember;
  recoveryMs: number;
}

/** Kills the ensemble's leader while a client writes; the killed member stays down. */
export async function measureFailover(
  ensemble: Ensemble,
  path: string,
  value: Buffer,
): Promise<FailoverResult> {
  const first = await ensemble.leader();
  // Start on a follower, so every round measures the same path: the follower drops its
  // clients when it loses the leader, and the client walks the servers until one serves.
  const writer = new FailoverWriter(ensemble.targets(), ensemble.members.indexOf(first) + 1,
    path, value);
  const state: RoundState = {
    successes: 0, killedAtMs: undefined, stopAtMs: performance.now() + warmupTimeoutMs,
  };
  try {
    if (!(await writer.createNode())) {
      throw new EnsembleError(`${ensemble.system}: the failover client could not create ${path}`);
    }
    const loop = writeLoop(writer, state);
    while (state.successes < warmupWrites && performance.now() < state.stopAtMs) await sleep(10);
    if (state.successes < warmupWrites) {
      state.stopAtMs = 0;
      await loop;
      throw new EnsembleError(`${ensemble.system}: the failover client's writes did not succeed`);
    }
    state.stopAtMs = performance.now() + warmupTimeoutMs + recoveryTimeoutMs;
    const leader = await ensemble.leader();
    // Stamp and kill in one synchronous step: no write can be sent in between.
    state.killedAtMs = performance.now();
    state.stopAtMs = state.killedAtMs + recoveryTimeoutMs;
    const exited = ensemble.kill(leader);
    const recoveryMs = await loop;
    await exited;
    if (recoveryMs === undefined) {
      throw new EnsembleError(`${ensemble.system} ensemble accepted no write within ` +
        `${recoveryTimeoutMs / 1000} s of its leader (server.${leader.id}) being killed`);
    }
    return { killed: leader, recoveryMs };
  } finally {
    writer.close();
  }
}
