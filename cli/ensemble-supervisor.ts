// Runs each replica of `corral ensemble` as a child process, relays its log lines with a
// `[replica-i] ` prefix, restarts it after an unexpected exit (restart-policy.ts), and stops all
// of them on request: SIGTERM by PID, then SIGKILL for any still running after a grace period.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { ReplicaLayout } from './ensemble-layout.js';
import {
  decideRestart,
  freshRestartHistory,
  type RestartHistory,
} from './restart-policy.js';

/** How long replicas get to stop after SIGTERM before they are killed. */
export const stopGraceMs = 10_000;
/** How long to wait for killed replicas to be reaped before exiting anyway. */
const killWaitMs = 5_000;

export interface SupervisorOptions {
  /** The corral main.js each replica runs with `server --config <zoo.cfg>`. */
  entryPoint: string;
  /** Flags every replica's `server` command gets after `--config <zoo.cfg>` (logging). */
  serverArguments?: readonly string[];
  /** One line of output, without its newline. */
  write: (line: string) => void;
  /** Called once when every replica has been given up on. */
  onAllGivenUp: () => void;
}

interface SupervisedReplica {
  layout: ReplicaLayout;
  child: ChildProcess | undefined;
  /** Settles when the current child has exited and its output is relayed. */
  exited: Promise<void>;
  startedAtMs: number;
  history: RestartHistory;
  restartTimer: NodeJS.Timeout | undefined;
  givenUp: boolean;
}

function isRunning(child: ChildProcess | undefined): child is ChildProcess {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

export class EnsembleSupervisor {
  private readonly replicas: SupervisedReplica[];
  private stopping = false;

  constructor(
    layouts: readonly ReplicaLayout[],
    private readonly options: SupervisorOptions,
  ) {
    this.replicas = layouts.map((layout) => ({
      layout,
      child: undefined,
      exited: Promise.resolve(),
      startedAtMs: 0,
      history: freshRestartHistory,
      restartTimer: undefined,
      givenUp: false,
    }));
  }

  start(): void {
    for (const replica of this.replicas) this.spawnReplica(replica);
  }

  /** PIDs of the replicas running now; only these are ever signalled. */
  runningPids(): number[] {
    return this.replicas
      .map((replica) => replica.child)
      .filter(isRunning)
      .map((child) => child.pid)
      .filter((pid): pid is number => pid !== undefined);
  }

  /** Stops every replica: no more restarts, SIGTERM, a grace period, then SIGKILL. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const replica of this.replicas) clearTimeout(replica.restartTimer);
    const running = this.replicas.filter((replica) => isRunning(replica.child));
    for (const replica of running) this.signal(replica, 'SIGTERM');
    await waitAtMost(running.map((replica) => replica.exited), stopGraceMs);
    const stragglers = running.filter((replica) => isRunning(replica.child));
    for (const replica of stragglers) {
      this.options.write(
        `[ensemble] ${replica.layout.name} still running ${stopGraceMs / 1000} s after ` +
          'SIGTERM; sending SIGKILL',
      );
      this.signal(replica, 'SIGKILL');
    }
    await waitAtMost(stragglers.map((replica) => replica.exited), killWaitMs);
  }

  private signal(replica: SupervisedReplica, signal: NodeJS.Signals): void {
    const { child } = replica;
    // Only a child that has not exited: its PID cannot have been reused by another process.
    if (!isRunning(child) || child.pid === undefined) return;
    try {
      process.kill(child.pid, signal);
    } catch (error) {
      // ESRCH: it exited between the check and the signal, which is what we wanted.
      if (!(error instanceof Error && 'code' in error && error.code === 'ESRCH')) throw error;
    }
  }

  private spawnReplica(replica: SupervisedReplica): void {
    const { layout } = replica;
    const child = spawn(
      process.execPath,
      [
        this.options.entryPoint,
        'server',
        '--config',
        layout.configPath,
        ...(this.options.serverArguments ?? []),
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    replica.child = child;
    replica.startedAtMs = Date.now();
    const prefix = `[${layout.name}] `;
    const relayed = [child.stdout, child.stderr].map((stream) =>
      relayLines(stream, (line) => this.options.write(prefix + line)),
    );
    const exitedNow = new Promise<string>((resolve) => {
      child.once('exit', (code, signal) => {
        resolve(signal === null ? `with code ${code ?? 0}` : `on ${signal}`);
      });
      // A failed spawn reports 'error' and never 'exit'; a failed kill reports 'error' too.
      child.on('error', (error) => {
        if (child.pid === undefined) resolve(`before starting: ${error.message}`);
      });
    });
    replica.exited = Promise.all([exitedNow, ...relayed]).then(([how]) => {
      this.exited(replica, how);
    });
    this.options.write(
      `[ensemble] started ${layout.name} (pid ${child.pid ?? 'none'}): ` +
        `${layout.spare ? 'spare, ' : ''}${layout.peerType}, ` +
        `client port ${layout.clientPort}, ${layout.configPath}`,
    );
  }

  private exited(replica: SupervisedReplica, how: string): void {
    const { name } = replica.layout;
    if (this.stopping) {
      this.options.write(`[ensemble] ${name} stopped ${how}`);
      return;
    }
    const exitAtMs = Date.now();
    const decision = decideRestart(replica.history, {
      exitAtMs,
      uptimeMs: exitAtMs - replica.startedAtMs,
    });
    replica.history = decision.history;
    if (decision.action === 'giveUp') {
      replica.givenUp = true;
      this.options.write(
        `[ensemble] ${name} exited ${how}; giving up on it after ` +
          `${decision.history.restartsAtMs.length} restarts within 5 minutes`,
      );
      if (this.replicas.every((each) => each.givenUp)) this.options.onAllGivenUp();
      return;
    }
    this.options.write(`[ensemble] ${name} exited ${how}; restarting in ${decision.delayMs} ms`);
    replica.restartTimer = setTimeout(() => {
      replica.restartTimer = undefined;
      if (!this.stopping) this.spawnReplica(replica);
    }, decision.delayMs);
  }
}

/** Calls `write` with each line of `stream`; settles when the stream has ended. */
function relayLines(stream: Readable | null, write: (line: string) => void): Promise<void> {
  if (stream === null) return Promise.resolve();
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  lines.on('line', write);
  return new Promise((resolve) => lines.once('close', resolve));
}

/** Waits for all of `promises`, or `timeoutMs`, whichever comes first. */
async function waitAtMost(
  promises: ReadonlyArray<Promise<void>>,
  timeoutMs: number,
): Promise<void> {
  if (promises.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([Promise.all(promises), timeout]);
  clearTimeout(timer);
}
