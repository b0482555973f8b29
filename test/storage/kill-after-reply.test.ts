// A replied write survives a SIGKILL of the server process sent the moment its reply arrives,
// under concurrent load: many sessions, each with several writes outstanding, so the kill lands
// while group commits are being written and synced (real process, real LMDB, real sockets).
// The server replies only once a commit is flushed (lmdb-backend.ts), which is what this checks.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WireConnection, type ClientRequest } from '../../client/wire.js';
import { freePort } from '../support/ports.js';
import { killServer, startServer, writeZooCfg, type ServerProcess } from
  './crash/server-process.js';
import { removeTempDirs, seededRandom, tempDir } from './fixtures.js';

const seed = Number(process.env.KILL_AFTER_REPLY_SEED ?? 20_261_206);
const rounds = 3;
const sessions = 8;
const outstanding = 8;
const valueBytes = 1024;

/** What one lane (one outstanding slot of a session) sent and saw answered. */
interface Lane {
  /** setData lanes write their counter into one node; create lanes make a node per counter. */
  kind: 'setData' | 'create';
  path: string;
  sent: number;
  replied: number;
  /** Counters up to this one were found after the last restart. */
  checked: number;
}

const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

function createRequest(path: string, data: Buffer = Buffer.alloc(0)): ClientRequest {
  return { kind: 'create', opcode: 1, path, data, acl: openAcl, flags: 0, ttl: -1 };
}

let root: string;
let port: number;
let server: ServerProcess | undefined;

beforeAll(async () => {
  root = tempDir('corral-kill-after-reply-');
  port = await freePort();
});

afterAll(async () => {
  if (server !== undefined) await killServer(server);
  removeTempDirs();
});

function valueOf(counter: number): Buffer {
  const value = Buffer.alloc(valueBytes, 0x61);
  value.writeUInt32BE(counter, 0);
  return value;
}

function requestOf(lane: Lane, counter: number): ClientRequest {
  return lane.kind === 'setData'
    ? { kind: 'setData', path: lane.path, data: valueOf(counter), version: -1 }
    : createRequest(`${lane.path}-${counter}`, valueOf(counter));
}

/**
 * Drives every lane until the connection drops. The kill is sent synchronously from inside the
 * reply handler of the `killAfterReplies`-th reply, so nothing else of the client runs first.
 */
async function writeUntilKilled(
  connections: WireConnection[],
  lanes: Lane[][],
  killAfterReplies: number,
  kill: () => void,
): Promise<number> {
  let replies = 0;
  const drive = async (connection: WireConnection, lane: Lane): Promise<void> => {
    for (let requests = 0; requests < 1_000_000 && !connection.closed; requests++) {
      const counter = lane.sent + 1;
      lane.sent = counter;
      try {
        const reply = await connection.request(requestOf(lane, counter), (answer) => {
          if (answer.header.err !== 0) return;
          lane.replied = counter;
          if (++replies === killAfterReplies) kill();
        });
        expect(reply.header.err).toBe(0);
      } catch {
        return; // the connection was lost: this write is in flight, its outcome unknown
      }
    }
  };
  await Promise.all(connections.flatMap((connection, session) =>
    lanes[session]!.map((lane) => drive(connection, lane))));
  return replies;
}

async function readCounter(connection: WireConnection, path: string): Promise<number | undefined> {
  const reply = await connection.request({ kind: 'getData', path, watch: false });
  if (reply.header.err !== 0 || reply.body.kind !== 'data' || reply.body.data === null) {
    return undefined;
  }
  return reply.body.data.readUInt32BE(0);
}

/** Every replied write is there; an unanswered one may be there or not, never beyond. */
async function checkLanes(connection: WireConnection, lanes: Lane[][]): Promise<void> {
  for (const lane of lanes.flat()) {
    if (lane.kind === 'setData') {
      const counter = (await readCounter(connection, lane.path)) ?? 0;
      expect(counter, lane.path).toBeGreaterThanOrEqual(lane.replied);
      expect(counter, lane.path).toBeLessThanOrEqual(lane.sent);
      // What is there is what the next round continues from.
      lane.replied = lane.sent = counter;
      continue;
    }
    const replied = Array.from({ length: lane.replied - lane.checked }, (_, index) =>
      lane.checked + 1 + index);
    const found = await Promise.all(replied.map((counter) =>
      readCounter(connection, `${lane.path}-${counter}`)));
    expect(found, lane.path).toEqual(replied);
    let present = lane.replied;
    while (present < lane.sent && (await readCounter(connection, `${lane.path}-${present + 1}`))
      !== undefined) present++;
    lane.replied = lane.sent = lane.checked = present;
  }
}

function openConnections(): Promise<WireConnection[]> {
  return Promise.all(Array.from({ length: sessions }, () =>
    WireConnection.open({ host: '127.0.0.1', port, timeoutMs: 10_000 })));
}

describe('a replied write survives a SIGKILL right after its reply', () => {
  it(`under ${sessions} sessions x ${outstanding} outstanding, ${rounds} kills (seed ${seed})`,
    async () => {
      const random = seededRandom(seed);
      const config = writeZooCfg(root, join(root, 'data'), port, []);
      server = await startServer(config, port);
      const lanes: Lane[][] = Array.from({ length: sessions }, (_, session) =>
        Array.from({ length: outstanding }, (_, slot): Lane => ({
          kind: slot % 2 === 0 ? 'setData' : 'create',
          path: `/k/s${session}/l${slot}`, sent: 0, replied: 0, checked: 0,
        })));
      const setup = (await openConnections())[0]!;
      await setup.request(createRequest('/k'));
      for (let session = 0; session < sessions; session++) {
        await setup.request(createRequest(`/k/s${session}`));
        for (const lane of lanes[session]!) {
          if (lane.kind === 'setData') await setup.request(createRequest(lane.path, valueOf(0)));
        }
      }
      await setup.close();
      let repliedTotal = 0;
      for (let round = 0; round < rounds; round++) {
        const connections = await openConnections();
        const running = server;
        const killAfterReplies = 500 + Math.floor(random() * 1500);
        const replies = await writeUntilKilled(connections, lanes, killAfterReplies,
          () => running.process.kill('SIGKILL'));
        await killServer(running);
        for (const connection of connections) connection.destroy();
        expect(replies).toBeGreaterThanOrEqual(killAfterReplies);
        repliedTotal += replies;
        server = await startServer(config, port);
        const checker = (await openConnections())[0]!;
        await checkLanes(checker, lanes);
        await checker.close();
      }
      expect(repliedTotal).toBeGreaterThan(1500);
      await killServer(server);
      server = undefined;
    }, 60_000);
});
