// Plays a generated step sequence against one server over two session slots and records, per
// slot, everything its connections saw in arrival order: replies, watch events, connection
// changes. Steps run strictly one at a time, so that order is deterministic for a correct server.
// Against an ensemble the two slots can live on different replicas (see RunOptions).

import { WireConnection } from '../../client/wire.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ReplyHeader, WatcherEvent } from '../../protocol/records.js';
import type { ResponseBody } from '../../protocol/responses.js';
import { describeStep, type SessionSlot, type Step } from './generator.js';

export type Entry =
  | { kind: 'reply'; step: number; header: ReplyHeader; body: ResponseBody }
  | { kind: 'failed'; step: number; error: string }
  | { kind: 'event'; event: WatcherEvent; zxid: number }
  | { kind: 'connection'; step: number; state: ConnectionState };

type ConnectionState = 'new session' | 'reconnected' | 'expired' | 'closed' | 'still open';

export interface Transcript {
  slots: Record<SessionSlot, Entry[]>;
  /** Session ids by label (A1, A2, B1 …) to name ephemeral owners. */
  sessions: Map<bigint, string>;
  startedAtMs: number;
  endedAtMs: number;
}

/** Where each slot connects, and whether to make cross-slot order hold across replicas. */
export interface RunOptions {
  ports: Record<SessionSlot, number>;
  /**
   * Before a slot's step that follows the other slot's step, send an unrecorded `sync` on the
   * slot's connection. ZooKeeper lets a replica answer reads (and deliver watch events) behind
   * the leader, so a slot on one replica need not yet see what the other slot just did on
   * another; a sync makes its server catch up first, and its reply comes after every event
   * that catching up fires. Run both servers of a comparison with the same setting: the syncs
   * use xids, so the recorded xids then agree.
   */
  syncOnSwitch: boolean;
}

const sessionTimeoutMs = 30_000;
/** How long to wait for a server to drop a connection after a reply that should end it. */
const dropWaitMs = 500;

class Slot {
  connection: WireConnection | undefined;
  generation = 0;
  readonly entries: Entry[] = [];

  constructor(
    readonly name: SessionSlot,
    private readonly port: number,
    private readonly sessions: Map<bigint, string>,
  ) {}

  /** Opens a fresh session, or resumes this one after a dropped connection. */
  async connect(step: number, resume: boolean): Promise<WireConnection> {
    const previous = this.connection;
    let state: ConnectionState = 'new session';
    let connection: WireConnection | undefined;
    if (resume && previous !== undefined) {
      try {
        connection = await this.open(previous);
        state = 'reconnected';
      } catch (error) {
        if ((error as { code?: number }).code !== ErrorCode.sessionExpired) throw error;
        this.entries.push({ kind: 'connection', step, state: 'expired' });
      }
    }
    if (connection === undefined) {
      connection = await this.open(undefined);
      this.generation++;
      this.sessions.set(connection.sessionId, `${this.name}${this.generation}`);
    }
    this.entries.push({ kind: 'connection', step, state });
    connection.onNotification((event, zxid) => this.entries.push({ kind: 'event', event, zxid }));
    this.connection = connection;
    return connection;
  }

  private open(previous: WireConnection | undefined): Promise<WireConnection> {
    return WireConnection.open({
      host: '127.0.0.1',
      port: this.port,
      timeoutMs: sessionTimeoutMs,
      sessionId: previous?.sessionId,
      password: previous?.password,
      lastZxidSeen: previous?.lastZxid,
    });
  }
}

function waitClosed(connection: WireConnection, timeoutMs: number): Promise<boolean> {
  if (connection.closed) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      unsubscribe();
      resolve(false);
    }, timeoutMs);
    const unsubscribe = connection.onClose(() => {
      clearTimeout(timer);
      unsubscribe();
      resolve(true);
    });
  });
}

async function runStep(slot: Slot, step: Step, index: number, sync: boolean): Promise<void> {
  let connection = slot.connection;
  if (connection === undefined || connection.closed) {
    connection = await slot.connect(index, true);
  }
  if (sync) await connection.request({ kind: 'sync', path: '/' });
  if (step.action === 'closeSession') {
    await connection.close();
    slot.entries.push({ kind: 'connection', step: index, state: 'closed' });
    await slot.connect(index, false);
    return;
  }
  let dropExpected = step.request.kind === 'unknown';
  try {
    const reply = await connection.request(step.request);
    slot.entries.push({ kind: 'reply', step: index, header: reply.header, body: reply.body });
  } catch (error) {
    slot.entries.push({ kind: 'failed', step: index, error: (error as Error).name });
    dropExpected = true;
  }
  if (dropExpected) {
    const closed = await waitClosed(connection, dropWaitMs);
    slot.entries.push({ kind: 'connection', step: index, state: closed ? 'closed' : 'still open' });
  }
}

export async function runSteps(
  target: number | RunOptions,
  steps: readonly Step[],
): Promise<Transcript> {
  const { ports, syncOnSwitch } = typeof target === 'number'
    ? { ports: { A: target, B: target }, syncOnSwitch: false }
    : target;
  const sessions = new Map<bigint, string>();
  const slots = { A: new Slot('A', ports.A, sessions), B: new Slot('B', ports.B, sessions) };
  const startedAtMs = Date.now();
  let recorded: Record<SessionSlot, Entry[]>;
  try {
    await slots.A.connect(-1, false);
    await slots.B.connect(-1, false);
    let previous: SessionSlot = 'B';
    for (const [index, step] of steps.entries()) {
      const port = ports[step.session];
      if (process.env.DIFF_TRACE === '1') console.log(`:${port} #${index} ${describeStep(step)}`);
      await runStep(slots[step.session], step, index, syncOnSwitch && step.session !== previous);
      previous = step.session;
    }
  } finally {
    // Snapshot first: closing the sessions deletes ephemerals and fires events in a racy order.
    recorded = { A: [...slots.A.entries], B: [...slots.B.entries] };
    await Promise.all([slots.A.connection?.close(), slots.B.connection?.close()]);
  }
  return {
    slots: recorded,
    sessions,
    startedAtMs,
    endedAtMs: Date.now(),
  };
}
