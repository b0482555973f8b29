// The read-only scenario both ensembles run (read-only.test.ts on corral, read-only-zookeeper
// on Apache ZooKeeper 3.8): three replicas lose two (SIGKILL); the survivor answers `isro` ro,
// serves reads to corral's client and kazoo when they allow read-only, refuses their writes
// NotReadOnly and refuses other clients; once the two are back it answers rw again and the
// read-only clients move to read-write. What the clients saw is returned for comparison.

import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { connect, type Client } from '../../client/index.js';
import type { ClientConnectionState } from '../../machines/client-connection.js';
import { fourLetterWord } from '../support/four-letter.js';
import { RawClient } from '../server/raw-client.js';
import { JuteWriter } from '../../protocol/jute.js';
import { OpCode } from '../../protocol/constants.js';

const python = '/usr/bin/python3';
const script = join(dirname(fileURLToPath(import.meta.url)), 'kazoo', 'read_only.py');

const clients: Client[] = [];
const children: ChildProcess[] = [];

/** Closes the clients and kills the kazoo processes a scenario left (in afterEach). */
export async function cleanUpScenario(): Promise<void> {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(clients.splice(0).map((client) => client.close()));
}

/** A client the scenario's clean-up closes. */
export function keepClient(client: Client): Client {
  clients.push(client);
  return client;
}

export async function waitFor<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean,
  timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await probe().catch(() => undefined);
    if (last !== undefined && done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what}: not within ${timeoutMs} ms (last: ${String(last)})`);
}

export const isro = (port: number) => fourLetterWord(port, 'isro', 2000);

/** The error a promise fails with (undefined when it succeeds). */
async function failureOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error;
  }
}

/** kazoo's `move` script: resolves `ready` once it is connected read-only, `result` at the end. */
function startKazooMove(hosts: string) {
  const child = spawn(python, [script, 'move', hosts], {
    env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
  });
  children.push(child);
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4000)));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async (): Promise<Record<string, unknown>> => {
    const line = await lines.next();
    if (line.done === true) throw new Error(`kazoo move ended early:\n${errors}`);
    return JSON.parse(line.value) as Record<string, unknown>;
  };
  const ready = next();
  return { ready, result: ready.then(next) };
}

function runKazoo(mode: string, hosts: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(python, [script, mode, hosts], {
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    children.push(child);
    let out = '';
    let errors = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-4000)));
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`kazoo ${mode} exited ${code}:\n${errors}`));
      else resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as Record<string, unknown>);
    });
  });
}

/** What a scenario needs of an ensemble: corral's (TestEnsemble) or ZooKeeper's. */
export interface ReadOnlyCluster {
  ids: number[];
  clientPort(id: number): number;
  connectString(ids?: number[]): string;
  kill(id: number): Promise<void>;
  start(id: number): void;
  waitForLeader(): Promise<number>;
  followers(): Promise<number[]>;
  /** Checks of the target's own surfaces while the survivor is read-only. */
  whileReadOnly?(survivor: number): Promise<void>;
}

/** The ConnectRequest of a 3.3-era client: no readOnly byte after the password. */
function oldClientConnectFrame(): Buffer {
  return new JuteWriter(64).int(0).long(0).int(4000).long(0n).bytes(Buffer.alloc(16)).frame();
}

/**
 * The read-only survivor on the wire: an old client (no readOnly flag) is closed; a read-only
 * handshake gets readOnly=true and a negotiated timeout; a setData whose body does not even
 * decode is answered NotReadOnly (the opcode decides); the session can be taken up again on a
 * new connection with its password, and a wrong password is told "expired" (timeout 0).
 */
async function observeWire(port: number) {
  const old = await RawClient.open(port);
  const oldClient = await old.handshake({ connectFrame: oldClientConnectFrame() });
  old.destroy();
  const first = await RawClient.open(port);
  const response = await first.handshake({ readOnly: true, timeoutMs: 30_000 });
  if (response === 'closed') throw new Error('read-only handshake refused');
  const malformed = new JuteWriter(16).int(7).int(OpCode.setData).int(-5).frame();
  first.write(malformed);
  const malformedReply = await first.replyTo(7);
  first.destroy();
  const again = await RawClient.open(port);
  const resumed = await again.handshake({
    readOnly: true, sessionId: response.sessionId, password: response.password,
  });
  again.destroy();
  const forged = await RawClient.open(port);
  const refused = await forged.handshake({
    readOnly: true, sessionId: response.sessionId, password: Buffer.alloc(16, 7),
  });
  forged.destroy();
  return {
    oldClient,
    handshake: { readOnly: response.readOnly, timeoutMs: response.timeout },
    malformedSetData: malformedReply.header.err,
    resumed: resumed === 'closed'
      ? 'closed'
      : { sameSession: resumed.sessionId === response.sessionId, readOnly: resumed.readOnly },
    wrongPassword: refused === 'closed' ? 'closed' : { timeoutMs: refused.timeout },
  };
}

/**
 * corral's client on the read-only survivor: accepted read-only with a local session of that
 * replica, reads the last state, every write refused; a client not allowing read-only refused.
 */
async function observeReader(cluster: ReadOnlyCluster, survivor: number) {
  const states: ClientConnectionState[] = [];
  const reader = keepClient(await connect(cluster.connectString(), {
    canBeReadOnly: true, sessionTimeoutMs: 6000,
  }));
  reader.on('state', (state) => states.push(state));
  const readerState = reader.state;
  const readOnlySession = reader.sessionId;
  const read = await reader.getData('/ro', { watch: () => undefined });
  const writes = [];
  for (const write of [
    () => reader.setData('/ro', 'no'),
    () => reader.create('/ro-new', 'no'),
    () => reader.delete('/ro'),
    () => reader.sync('/ro'),
    () => reader.multi([{ kind: 'setData', path: '/ro', data: 'no' }]),
  ]) {
    writes.push((await failureOf(write()) as Error | undefined)?.name ?? 'accepted');
  }
  const createdAnyway = await reader.exists('/ro-new');
  const plain = await failureOf(connect(cluster.connectString([survivor]), {
    connectTimeoutMs: 3000,
  }));
  return {
    reader,
    states,
    readOnlySession,
    readerObservations: {
      readerState,
      readOnlySessionOfSurvivor: Number(readOnlySession >> 56n) === survivor,
      read: String(read.data),
      writes,
      createdAnyway,
      plainRefused: plain !== undefined,
    },
  };
}

/**
 * The scenario, as the clients see it: write, lose two replicas, read and be refused on the
 * survivor, bring the two back, move to read-write. Returns what was observed, for comparison
 * with ZooKeeper (read-only-zookeeper.test.ts asserts the same observations).
 */
export async function observeReadOnlyScenario(cluster: ReadOnlyCluster) {
  const leader = await cluster.waitForLeader();
  const writer = await connect(cluster.connectString(), { sessionTimeoutMs: 6000 });
  await writer.create('/ro', 'before');
  await writer.close();
  // A session of the ensemble, held through the loss by a client that allows read-only.
  const holder = keepClient(await connect(cluster.connectString(), {
    canBeReadOnly: true, sessionTimeoutMs: 4000,
  }));
  const holderStates: ClientConnectionState[] = [];
  holder.on('state', (state) => holderStates.push(state));
  const survivor = (await cluster.followers())[0]!;
  const lost = cluster.ids.filter((id) => id !== survivor);
  const port = cluster.clientPort(survivor);
  const isroBefore = await isro(port);

  const killedAt = Date.now();
  for (const id of lost) await cluster.kill(id);
  const isroWithoutQuorum = await waitFor('isro ro', () => isro(port), (answer) => answer === 'ro');
  const readOnlyAfterMs = Date.now() - killedAt;
  const srvr = (await fourLetterWord(port, 'srvr')).split('\n');
  await cluster.whileReadOnly?.(survivor);
  const wire = await observeWire(port);

  const { reader, states, readOnlySession, readerObservations } =
    await observeReader(cluster, survivor);
  await waitFor('holder expired', async () => holder.state, (state) => state === 'expired');
  const kazooRefuse = await runKazoo('refuse', `127.0.0.1:${port}`);
  const kazoo = startKazooMove(cluster.connectString());
  const kazooReady = await kazoo.ready;

  // The quorum is back: the survivor serves read-write, and the clients move there.
  const restartedAt = Date.now();
  for (const id of lost) cluster.start(id);
  await cluster.waitForLeader();
  const isroAfter = await waitFor('isro rw', () => isro(port), (answer) => answer === 'rw');
  await waitFor('reader read-write', async () => reader.state, (state) => state === 'connected');
  const readWriteAfterMs = Date.now() - restartedAt;
  await reader.setData('/ro', 'after');
  const kazooMoved = await kazoo.result;
  console.log(`read-only: isro ro ${readOnlyAfterMs} ms after SIGKILL of ${lost.join(',')} ` +
    `(leader was ${leader}); reader read-write ${readWriteAfterMs} ms after restart`);
  return {
    survivor,
    observed: {
      isroBefore, isroWithoutQuorum, isroAfter,
      srvr: srvr.filter((line) => /READ-ONLY|^Mode:/.test(line)),
      wire,
      ...readerObservations,
      // A read-only server refuses a session of the ensemble: the holder never gets back on.
      // How it ended: suspended, then expired. If the first replica killed was the holder's, it
      // may first reconnect to the survivor while that still serves the ensemble (the leader
      // is killed next), and drop again: that blip is the kill order's, not read-only mode's.
      holderStates: holderStates.filter((state, index) => state !== holderStates[index - 1])
        .slice(-2),
      kazooRefuse,
      kazooReady,
      // How it ended: suspended, then read-write. A restart's re-election may first give it a
      // brief read-write connection that drops again; that blip is the ensemble's, not the move.
      readerStates: states.filter((state, index) => state !== states[index - 1]).slice(-2),
      readerSessionReplaced: reader.sessionId !== readOnlySession,
      readAfter: String((await reader.getData('/ro')).data),
      kazooMoved,
    },
  };
}

/** What both corral and ZooKeeper 3.8 show the clients in observeReadOnlyScenario. */
export const expectedReadOnlyObservations = {
  isroBefore: 'rw', isroWithoutQuorum: 'ro', isroAfter: 'rw',
  srvr: ['READ-ONLY mode; serving only read-only clients', 'Mode: read-only'],
  wire: {
    oldClient: 'closed',
    // 30 s asked, maxSessionTimeout (20 ticks of 200 ms) given.
    handshake: { readOnly: true, timeoutMs: 4000 },
    malformedSetData: -119,
    resumed: { sameSession: true, readOnly: true },
    wrongPassword: { timeoutMs: 0 },
  },
  readerState: 'connectedReadOnly',
  holderStates: ['suspended', 'expired'],
  readOnlySessionOfSurvivor: true,
  read: 'before',
  writes: Array(5).fill('NotReadOnlyError'),
  createdAnyway: null,
  plainRefused: true,
  kazooRefuse: {
    state: 'CONNECTED_RO', data: 'before', exists: true, children: ['ro', 'zookeeper'],
    set: 'NotReadOnly', create: 'NotReadOnly', delete: 'NotReadOnly', sync: 'NotReadOnly',
    multi: 'NotReadOnly', plain: 'timeout',
  },
  kazooReady: { ready: 'CONNECTED_RO' },
  // The read-only server stops (or the probe finds a read-write one): a reconnect, new session.
  readerStates: ['suspended', 'connected'],
  readerSessionReplaced: true,
  readAfter: 'after',
  // kazoo offers its read-only session id to the read-write server, is told it expired (LOST),
  // and connects with a new session.
  kazooMoved: {
    first: 'CONNECTED_RO', last: 'CONNECTED', data: 'kazoo after',
    listener: ['CONNECTED', 'SUSPENDED', 'LOST', 'CONNECTED'],
  },
};

