// Read-only mode on real processes: a 3-replica corral ensemble with readonlymode.enabled loses
// two replicas (SIGKILL); the survivor answers `isro` ro, serves reads to corral's client and
// kazoo when they allow read-only, refuses their writes NotReadOnly and refuses other clients;
// once the two are back it answers rw again and the read-only clients move to read-write.

import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, NotReadOnlyError, type Client } from '../../client/index.js';
import type { ClientConnectionState } from '../../machines/client-connection.js';
import { startCorral, type CorralServer } from '../support/corral.js';
import { TestEnsemble } from '../support/ensemble.js';
import { fourLetterWord } from '../support/four-letter.js';

const python = '/usr/bin/python3';
const script = join(dirname(fileURLToPath(import.meta.url)), 'kazoo', 'read_only.py');

let ensemble: TestEnsemble | undefined;
let standalone: CorralServer | undefined;
const clients: Client[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await ensemble?.destroy();
  ensemble = undefined;
  await standalone?.stop();
  standalone = undefined;
});

async function waitFor<T>(what: string, probe: () => Promise<T>, done: (value: T) => boolean,
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

const isro = (port: number) => fourLetterWord(port, 'isro', 2000);

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

describe('read-only mode (real processes, R=3)', { timeout: 120_000 }, () => {
  it('serves read-only clients without a quorum and moves them to read-write after', async () => {
    ensemble = await TestEnsemble.create({
      voters: 3, adminServers: true, extraConfig: ['readonlymode.enabled=true'],
    });
    ensemble.startAll();
    const leader = await ensemble.waitForLeader();
    const writer = await connect(ensemble.connectString(), { sessionTimeoutMs: 6000 });
    await writer.create('/ro', 'before');
    await writer.close();
    await ensemble.waitForSameZxid();
    const survivor = (await ensemble.followers())[0]!;
    const lost = ensemble.ids.filter((id) => id !== survivor);
    const port = ensemble.clientPort(survivor);
    expect(await isro(port)).toBe('rw');

    const killedAt = Date.now();
    for (const id of lost) await ensemble.kill(id);
    await waitFor('isro ro', () => isro(port), (answer) => answer === 'ro');
    const readOnlyAfterMs = Date.now() - killedAt;
    const srvr = await fourLetterWord(port, 'srvr');
    expect(srvr).toContain('READ-ONLY mode; serving only read-only clients');
    expect(srvr).toContain('Mode: read-only');
    const admin = await fetch(`http://127.0.0.1:${ensemble.adminPort(survivor)}/commands/isro`);
    expect(await admin.json()).toMatchObject({ read_only: true });

    // corral's client: accepted read-only with a local session; reads see the last state.
    const states: ClientConnectionState[] = [];
    const reader = await connect(ensemble.connectString(), {
      canBeReadOnly: true, sessionTimeoutMs: 6000,
    });
    clients.push(reader);
    reader.on('state', (state) => states.push(state));
    expect(reader.state).toBe('connectedReadOnly');
    expect(reader.readOnly).toBe(true);
    const readOnlySession = reader.sessionId;
    expect(Number(readOnlySession >> 56n)).toBe(survivor);
    const read = await reader.getData('/ro', { watch: () => undefined });
    expect(read.data.toString()).toBe('before');
    for (const write of [
      reader.setData('/ro', 'no'),
      reader.create('/ro-new', 'no'),
      reader.delete('/ro'),
      reader.sync('/ro'),
      reader.multi([{ kind: 'setData', path: '/ro', data: 'no' }]),
    ]) {
      expect(await failureOf(write)).toBeInstanceOf(NotReadOnlyError);
    }
    expect(await reader.exists('/ro-new')).toBeNull();
    // A client that does not allow read-only is refused: its connection is closed.
    const refused = await failureOf(connect(ensemble.connectString([survivor]), {
      connectTimeoutMs: 3000,
    }));
    expect(refused).toBeDefined();
    expect(await runKazoo('refuse', `127.0.0.1:${port}`)).toEqual({
      state: 'CONNECTED_RO', data: 'before', exists: true, children: ['ro', 'zookeeper'],
      set: 'NotReadOnly', create: 'NotReadOnly', delete: 'NotReadOnly', sync: 'NotReadOnly',
      multi: 'NotReadOnly', plain: 'timeout',
    });
    const kazoo = startKazooMove(ensemble.connectString());
    expect(await kazoo.ready).toEqual({ ready: 'CONNECTED_RO' });

    // The quorum is back: the survivor serves read-write, and the clients move there.
    const restartedAt = Date.now();
    for (const id of lost) ensemble.start(id);
    await ensemble.waitForLeader();
    await waitFor('isro rw', () => isro(port), (answer) => answer === 'rw');
    await waitFor('reader read-write', async () => reader.state, (state) => state === 'connected');
    const readWriteAfterMs = Date.now() - restartedAt;
    expect(reader.readOnly).toBe(false);
    expect(states).toContain('suspended');
    // It never saw a read-write server before: the read-only session was not carried over.
    expect(reader.sessionId).not.toBe(readOnlySession);
    await reader.setData('/ro', 'after');
    expect((await reader.getData('/ro')).data.toString()).toBe('after');
    const moved = await kazoo.result;
    expect(moved).toMatchObject({ first: 'CONNECTED_RO', last: 'CONNECTED', data: 'kazoo after' });
    console.log(`read-only: isro ro ${readOnlyAfterMs} ms after SIGKILL of ${lost.join(',')} ` +
      `(leader was ${leader}); reader read-write ${readWriteAfterMs} ms after restart`);
  });

  it('moves a read-only client to a read-write server its isro probe finds', async () => {
    ensemble = await TestEnsemble.create({ voters: 3, extraConfig: ['readonlymode.enabled=true'] });
    ensemble.startAll();
    await ensemble.waitForLeader();
    const survivor = 1;
    for (const id of [2, 3]) await ensemble.kill(id);
    const port = ensemble.clientPort(survivor);
    await waitFor('isro ro', () => isro(port), (answer) => answer === 'ro');
    // A separate read-write server in the connect string, as ZooKeeper's testSeekForRwServer
    // keeps its read-only peer apart from the quorum that forms.
    // ZooKeeper whitelists isro only where readonlymode.enabled is set; so does corral.
    standalone = await startCorral({ zooCfg: ['readonlymode.enabled=true'] });
    const states: ClientConnectionState[] = [];
    // random 0 makes the client's shuffle put the survivor first (Fisher–Yates swaps).
    const client = await connect(`127.0.0.1:${standalone.port},127.0.0.1:${port}`, {
      canBeReadOnly: true, sessionTimeoutMs: 6000, random: () => 0,
    });
    clients.push(client);
    client.on('state', (state) => states.push(state));
    const connectedAt = Date.now();
    expect(client.state).toBe('connectedReadOnly');
    await waitFor('moved', async () => client.state, (state) => state === 'connected', 10_000);
    const movedAfterMs = Date.now() - connectedAt;
    expect(states).toEqual(['suspended', 'connected']);
    await client.create('/moved', 'rw');
    expect(await fourLetterWord(standalone.port, 'isro')).toBe('rw');
    expect(movedAfterMs).toBeLessThan(2_000);
    console.log(`read-only: probe moved the client to read-write in ${movedAfterMs} ms`);
  });
});
