// Many sessions on one real corral process (tickTime 400 ms, 2000 ms sessions): 1,000 raw TCP
// clients handshake and ping; all outlive several timeouts; then a tenth go quiet and must be
// expired — no sooner than their timeout after their last ping, no later than a tick after it
// (plus scheduling slack on a shared machine) — while the rest stay connected and answered.

import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCorral, type CorralServer } from '../support/corral.js';

const tickTimeMs = 400;
const sessionTimeoutMs = 2000;
const sessionCount = 1000;
/** Every tenth session stops pinging. */
const quietEvery = 10;
const pingIntervalMs = 500;
/** Handshakes in flight at once while opening. */
const openConcurrency = 100;
/**
 * Past expiry's bucket: the closeSession txns' fsync and the event loops of both processes. On a
 * quiet machine the last quiet session goes within ~300 ms of its bucket; on a 2-core machine
 * running other suites (load 15) 2.2 s was seen.
 */
const schedulingSlackMs = 2500;

let server: CorralServer;

beforeAll(async () => {
  server = await startCorral({ zooCfg: [`tickTime=${tickTimeMs}`, 'maxClientCnxns=0'] });
});

afterAll(async () => {
  await server?.stop();
});

interface LightSession {
  socket: Socket;
  negotiatedTimeoutMs: number;
  pinging: boolean;
  lastPingAtMs: number;
  closedAtMs: number | undefined;
  bytesReceived: number;
}

/** A ConnectRequest frame: protocol 0, lastZxidSeen 0, the timeout, session 0, empty password. */
function connectFrame(timeoutMs: number): Buffer {
  const frame = Buffer.alloc(4 + 45);
  frame.writeInt32BE(45, 0);
  frame.writeInt32BE(timeoutMs, 16);
  frame.writeInt32BE(16, 28);
  return frame;
}

/** A ping: xid -2, opcode 11, no body. */
const pingFrame = Buffer.from([0, 0, 0, 8, 0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 11]);

function openSession(port: number): Promise<LightSession> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    const session: LightSession = {
      socket,
      negotiatedTimeoutMs: 0,
      pinging: true,
      lastPingAtMs: 0,
      closedAtMs: undefined,
      bytesReceived: 0,
    };
    let head = Buffer.alloc(0);
    socket.on('connect', () => socket.write(connectFrame(sessionTimeoutMs)));
    socket.on('error', reject);
    socket.on('close', () => (session.closedAtMs ??= Date.now()));
    socket.on('data', (chunk: Buffer) => {
      session.bytesReceived += chunk.length;
      if (session.negotiatedTimeoutMs !== 0) return;
      head = Buffer.concat([head, chunk]);
      // ConnectResponse: length, protocolVersion, timeout, ...
      if (head.length < 12) return;
      session.negotiatedTimeoutMs = head.readInt32BE(8);
      session.lastPingAtMs = Date.now();
      resolve(session);
    });
  });
}

/** Opens sessionCount sessions into `sessions`, each pinged (see startPinging) once open. */
async function openSessions(port: number, sessions: LightSession[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: openConcurrency }, async () => {
      while (next < sessionCount) {
        next++;
        sessions.push(await openSession(port));
      }
    }),
  );
}

/** Pings every pinging session once per pingIntervalMs, spread over the interval in slices. */
function startPinging(sessions: LightSession[]): () => void {
  const slices = 6;
  let slice = 0;
  const timer = setInterval(() => {
    const nowMs = Date.now();
    for (let index = slice; index < sessions.length; index += slices) {
      const session = sessions[index]!;
      if (!session.pinging || session.closedAtMs !== undefined) continue;
      session.socket.write(pingFrame);
      session.lastPingAtMs = nowMs;
    }
    slice = (slice + 1) % slices;
  }, pingIntervalMs / slices);
  return () => clearInterval(timer);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('sessions: 1,000 over TCP on one server (tickTime 400 ms, 2000 ms timeout)', () => {
  it('keeps pinging sessions past 3 timeouts, expires the quiet tenth within a tick', async () => {
    const sessions: LightSession[] = [];
    // Opening them all takes longer than a timeout: the first are pinged while the last open.
    const stopPinging = startPinging(sessions);
    try {
      await openSessions(server.port, sessions);
      expect(sessions).toHaveLength(sessionCount);
      expect(new Set(sessions.map((session) => session.negotiatedTimeoutMs))).toEqual(
        new Set([sessionTimeoutMs]),
      );

      await sleep(3 * sessionTimeoutMs);
      expect(sessions.filter((session) => session.closedAtMs !== undefined)).toHaveLength(0);

      const quiet = sessions.filter((_session, index) => index % quietEvery === 0);
      const busy = sessions.filter((_session, index) => index % quietEvery !== 0);
      for (const session of quiet) session.pinging = false;
      const bytesBefore = busy.map((session) => session.bytesReceived);

      const deadlineMs = sessionTimeoutMs + tickTimeMs + schedulingSlackMs;
      // Waits a little past the deadline (bounded), so a late expiry shows as late, not as none.
      const quietSinceMs = Date.now();
      while (Date.now() - quietSinceMs < 2 * deadlineMs) {
        if (quiet.every((session) => session.closedAtMs !== undefined)) break;
        await sleep(50);
      }
      const lifetimes = quiet.map((session) =>
        (session.closedAtMs ?? Number.POSITIVE_INFINITY) - session.lastPingAtMs);
      // ZooKeeper's expiry: never before the timeout has passed since the last packet (the
      // server read it after the client wrote it), and within the bucket after that.
      expect(Math.min(...lifetimes)).toBeGreaterThanOrEqual(sessionTimeoutMs);
      expect(Math.max(...lifetimes)).toBeLessThanOrEqual(deadlineMs);

      // The others outlived it all, and the server still answers their pings.
      await sleep(pingIntervalMs * 2);
      expect(busy.filter((session) => session.closedAtMs !== undefined)).toHaveLength(0);
      const answered = busy.filter((session, index) => session.bytesReceived > bytesBefore[index]!);
      expect(answered).toHaveLength(busy.length);
    } finally {
      stopPinging();
      for (const session of sessions) session.socket.destroy();
    }
  }, 40_000);
});
