// The machine event stream of a real 3-replica ensemble (processes, admin servers on loopback):
// each replica's /commands/machine_events, read by a real HTTP client, shows its hello, its
// replica machine leading or following, a client's session machine from connect to close; a
// listener that never reads is dropped behind (a gap once it reads again) rather than buffered;
// foreign Host and Origin, and listeners past the limit, are refused; over a coalescing window
// the events that change no state are summed into records that lose none of them.
import { connect } from 'node:net';
import { readFileSync } from 'node:fs';
import type { Client } from 'node-zookeeper-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamActor, StreamRecord } from '../../protocol/machine-stream.js';
import { expectStreamMessage } from '../actors/inspection/stream-format.js';
import { call, closeClient, connectClient } from '../interop/nzc.js';
import { RawClient } from '../server/raw-client.js';
import { TestEnsemble } from '../support/ensemble.js';
import { MachineEventsReader, topState } from './machine-events-reader.js';

const queueBytes = 65_536;
let ensemble: TestEnsemble;
let leader: number;
const readers: MachineEventsReader[] = [];

beforeAll(async () => {
  ensemble = await TestEnsemble.create({
    voters: 3,
    adminServers: true,
    // Every event its own record (no summing): the heaviest stream a listener can be sent.
    extraConfig: [`machineEvents.queueBytes=${queueBytes}`, 'machineEvents.listeners=3',
      'machineEvents.coalesceMs=0'],
  });
  ensemble.startAll();
  leader = await ensemble.waitForLeader();
  await ensemble.waitForSameZxid();
}, 60_000);

afterAll(async () => {
  for (const reader of readers.splice(0)) reader.close();
  await ensemble?.destroy();
});

/** Opens a stream, waiting (bounded) while the replica still counts a closed one of before. */
async function open(id: number, headers: Record<string, string> = {}) {
  for (let attempt = 0; ; attempt++) {
    try {
      const reader = await MachineEventsReader.open(ensemble.adminPort(id), headers);
      readers.push(reader);
      return reader;
    } catch (error) {
      if (attempt >= 50 || !/status 503/.test(String(error))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

function sessionHex(client: Client): string {
  return `0x${client.getSessionId().toString('hex').replace(/^0+/, '')}`;
}

/** A process's resident memory, in bytes (Linux). */
function residentBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return Number(kib) * 1024;
}

/** `count` sync requests with a long path on one follower, `depth` in flight: a follower takes
 * each as a machine event of its own (no txn, no fsync), so records come fast. */
async function syncMany(port: number, count: number, depth = 64): Promise<void> {
  const client = await RawClient.session(port, { timeoutMs: 10_000 });
  const path = `/${'s'.repeat(200)}`;
  try {
    let xid = 0;
    const lane = async () => {
      while (xid < count) {
        xid++;
        await client.call(xid, { kind: 'sync', path }, 10_000);
      }
    };
    await Promise.all(Array.from({ length: depth }, lane));
  } finally {
    client.destroy();
  }
}

describe('machine event stream on a real ensemble', { timeout: 60_000 }, () => {
  it('shows each replica its hello, its role, and a session from connect to close', async () => {
    const streams = new Map<number, MachineEventsReader>();
    for (const id of ensemble.ids) streams.set(id, await open(id));
    for (const [id, reader] of streams) {
      const hello = await reader.waitFor((message) => message.kind === 'hello');
      expect(hello).toMatchObject({ replica: String(id), bufferLimit: 2_000 });
      const expected = id === leader ? 'leading' : 'following';
      await reader.waitForStates((states) => [...states.values()].some((actor) =>
        actor.machine === 'replica' && actor.label === `replica ${id}` &&
        topState(actor.state) === expected));
    }

    const client = await connectClient(ensemble.connectString());
    const session = sessionHex(client);
    await call((done) => client.create('/stream', Buffer.from('hello'), done));
    const sessionActors = new Map<number, string>();
    for (const [id, reader] of streams) {
      const started = await reader.waitFor((message) =>
        message.kind === 'actor' && message.machine === 'session' && message.label === session);
      sessionActors.set(id, (started as StreamActor).actor);
    }
    await closeClient(client);
    for (const [id, reader] of streams) {
      await reader.waitFor((message) =>
        message.kind === 'ended' && message.actor === sessionActors.get(id));
      for (const message of reader.messages) expectStreamMessage(message);
      // Each replica numbers its records one by one after the picture it opened with.
      const seqs = reader.messages.filter((message): message is StreamRecord =>
        message.kind !== 'hello').map((record) => record.seq);
      const live = seqs.filter((seq) => seq > seqs[0]!);
      expect(live.length).toBeGreaterThan(0);
      expect(live.every((seq, index) => seq === seqs[0]! + index + 1)).toBe(true);
    }
    // A listener that reconnects with Last-Event-ID is sent what it missed, from the buffer.
    const first = streams.get(leader)!;
    const seen = lastSeq(first);
    const resumed = await open(leader, { 'last-event-id': String(seen - 3) });
    const last = await resumed.waitFor((message) =>
      message.kind !== 'hello' && message.seq === seen);
    const replayed = resumed.messages.filter((message): message is StreamRecord =>
      message.kind !== 'hello');
    expect(replayed.slice(0, 3).map((record) => record.seq)).toEqual([seen - 2, seen - 1, seen]);
    expect(last).toEqual(first.messages.find((message) =>
      message.kind !== 'hello' && message.seq === seen));
    resumed.close();
    for (const reader of streams.values()) reader.close();
  });

  it('refuses foreign Host and Origin, and a listener past the limit', async () => {
    const port = ensemble.adminPort(leader);
    const url = `http://127.0.0.1:${port}/commands/machine_events`;
    const foreign: Array<Record<string, string>> = [
      { host: 'attacker.example' },
      { origin: 'http://attacker.example' },
      { 'sec-fetch-site': 'cross-site' },
    ];
    for (const headers of foreign) {
      await expect(MachineEventsReader.open(port, headers))
        .rejects.toThrow(/status 403.*Forbidden/);
    }
    const listing = await (await fetch(`http://127.0.0.1:${port}/commands`)).text();
    expect(listing).toContain('machine_events');
    const held = [await open(leader), await open(leader), await open(leader)];
    await expect(MachineEventsReader.open(port)).rejects.toThrow(/status 503/);
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    for (const reader of held) reader.close();
  });

  it('drops records behind a listener that never reads, with bounded memory', async () => {
    // A follower: it takes each proposal and commit as a machine event of its own.
    const follower = ensemble.ids.find((id) => id !== leader)!;
    const port = ensemble.adminPort(follower);
    const watcher = await open(follower);
    await watcher.waitFor((message) => message.kind === 'actor');
    // A listener that sends its request and never reads a byte of the answer.
    const stalled = connect(port, '127.0.0.1');
    await new Promise<void>((resolve) => stalled.once('connect', resolve));
    stalled.write(`GET /commands/machine_events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    stalled.pause();
    const pid = ensemble.pid(follower)!;
    const before = residentBytes(pid);
    const firstSeq = lastSeq(watcher);
    await syncMany(ensemble.clientPort(follower), 9_000);
    const after = residentBytes(pid);
    // More than the loopback socket's buffers (about 4 MiB here) and the queue could hold, so
    // the stalled listener cannot have been given them all: the gap below proves they were
    // dropped, not kept. The process's growth is a sanity bound only: its heap grows under 9,000
    // syncs and their records whether or not anyone stalls (53–67 MiB seen, more the smaller the
    // server started: since `corral server` loads only what it serves, it starts smaller).
    const producedBytes = watcher.messages
      .filter((message) => message.kind !== 'hello' && message.seq > firstSeq)
      .reduce((total, message) => total + JSON.stringify(message).length, 0);
    expect(producedBytes).toBeGreaterThan(6 * 1024 * 1024);
    expect(after - before).toBeLessThan(96 * 1024 * 1024);
    // Reading at last, it gets what the socket held, then its queue, then a gap and every live
    // actor: at most queueBytes of records waited in the server for it.
    let text = '';
    stalled.setEncoding('utf8');
    stalled.on('data', (chunk: string) => (text += chunk));
    stalled.resume();
    const deadline = Date.now() + 20_000;
    while (!text.includes('"kind":"gap"') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    stalled.destroy();
    expect(text).toContain('"kind":"gap"');
  });

  it('sums the events that change no state over machineEvents.coalesceMs, losing none',
  async () => {
    // The other follower (the one above keeps every event apart), restarted with a window.
    const followers = ensemble.ids.filter((id) => id !== leader);
    const follower = followers[1]!;
    await ensemble.restart(follower, { extraConfig: ['machineEvents.coalesceMs=50'] });
    await ensemble.waitForSameZxid();
    const reader = await open(follower);
    await reader.waitForStates((states) => [...states.values()].some((actor) =>
      actor.machine === 'replica' && topState(actor.state) === 'following'));
    const syncs = 2_000;
    await syncMany(ensemble.clientPort(follower), syncs, 32);
    // Each sync is a `client.sync` the follower's replica machine takes without changing state.
    const summed = (): number => reader.messages.reduce((total, message) =>
      message.kind === 'transition' && message.event.type === 'client.sync'
        ? total + (message.repeat ?? 1) : total, 0);
    await reader.waitFor(() => summed() >= syncs);
    expect(summed()).toBe(syncs);
    const syncRecords = reader.messages.filter((message) =>
      message.kind === 'transition' && message.event.type === 'client.sync');
    expect(syncRecords.length).toBeLessThan(syncs / 4);
    for (const message of reader.messages) expectStreamMessage(message);
    const seqs = reader.messages.filter((message): message is StreamRecord =>
      message.kind !== 'hello').map((record) => record.seq);
    expect(seqs.slice(1).every((seq, index) => seq === seqs[index]! + 1 || seq === seqs[index]!))
      .toBe(true);
    reader.close();
  });
});

function lastSeq(reader: MachineEventsReader): number {
  const records = reader.messages.filter((message): message is StreamRecord =>
    message.kind !== 'hello');
  return records.at(-1)?.seq ?? 0;
}
