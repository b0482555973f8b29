// mntr's connection and session counters against a real Apache ZooKeeper 3.8 given the same
// config and the same client behaviour: a client that closes its socket (connection_drop_count;
// one that resets it is not counted),
// a socket that never opens a session (sessionless_connections_expired, with
// nio.sessionlessCnxnTimeout shortened on both) and a session that expires once its client is
// gone (stale_sessions_expired). A session closed by its client counts in none of them.
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCorral } from '../support/corral.js';
import { fourLetterWord } from '../support/four-letter.js';
import { startZooKeeper, zookeeperAvailable } from '../support/zookeeper.js';
import { RawClient } from '../server/raw-client.js';

const sessionlessMs = 1000;
const tickTimeMs = 500;
const config = [`tickTime=${tickTimeMs}`, `nio.sessionlessCnxnTimeout=${sessionlessMs}`,
  '4lw.commands.whitelist=*'];

interface Counters {
  drops: number;
  sessionless: number;
  staleSessions: number;
  /** Plaintext connections (counted by ZooKeeper's Netty layer only: 0 with NIO, as here). */
  plaintext: number;
}

async function counters(port: number): Promise<Counters> {
  const values = new Map((await fourLetterWord(port, 'mntr')).trim().split('\n')
    .map((line) => line.split('\t') as [string, string]));
  const value = (key: string): number => {
    const text = values.get(key);
    if (text === undefined) throw new Error(`mntr has no ${key}`);
    return Number(text);
  };
  return {
    drops: value('zk_connection_drop_count'),
    sessionless: value('zk_sessionless_connections_expired'),
    staleSessions: value('zk_stale_sessions_expired'),
    plaintext: value('zk_non_mtls_local_conn_count') + value('zk_non_mtls_remote_conn_count'),
  };
}

/** Polls until `done` holds of the counters (at most `timeoutMs`); answers the last read. */
async function countersWhen(port: number, done: (counters: Counters) => boolean,
  timeoutMs: number): Promise<Counters> {
  const deadline = Date.now() + timeoutMs;
  let last = await counters(port);
  while (!done(last) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    last = await counters(port);
  }
  return last;
}

/** A socket that connects and sends nothing; resolves with the ms until the server closed it. */
function silentSocket(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket: Socket = connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('a silent connection was never closed'));
    }, 4 * sessionlessMs + 2000);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Date.now() - started);
    });
  });
}

const kinds = zookeeperAvailable() ? ['corral', 'zookeeper'] as const : ['corral'] as const;

describe.each(kinds)('connection and session counters on %s', (kind) => {
  let port = 0;
  let stop: () => Promise<void> = async () => undefined;
  beforeAll(async () => {
    const server = kind === 'corral'
      ? await startCorral({ zooCfg: config })
      : await startZooKeeper({ tickTimeMs, extraConfig: config.slice(1) });
    port = server.port;
    stop = server.stop;
  }, 60_000);
  afterAll(() => stop());

  it('counts a dropped client, a sessionless socket and expired sessions, as ZooKeeper does',
    async () => {
      const before = await counters(port);

      // A session closed by its client: counted nowhere.
      const polite = await RawClient.session(port, { timeoutMs: 4 * tickTimeMs });
      expect((await polite.call(1, { kind: 'closeSession' })).header.err).toBe(0);
      expect(await polite.waitClosed()).toBe(true);

      // A client that goes without a word: one drop now, one stale session after its timeout.
      const rude = await RawClient.session(port, { timeoutMs: 4 * tickTimeMs });
      rude.destroy();
      // One that resets its connection: no drop (an I/O error to NIO), one more stale session.
      const reset = await RawClient.session(port, { timeoutMs: 4 * tickTimeMs });
      reset.socket.resetAndDestroy();

      // A socket that never sends its connect request is closed after the sessionless limit.
      const closedAfterMs = await silentSocket(port);
      expect(closedAfterMs).toBeGreaterThanOrEqual(sessionlessMs - 100);

      const after = await countersWhen(port, (now) =>
        now.drops > before.drops && now.sessionless > before.sessionless &&
        now.staleSessions > before.staleSessions + 1, 10_000);
      // Anything late would show up a little after the session's expiry.
      await new Promise((resolve) => setTimeout(resolve, 2 * tickTimeMs));
      const settled = await counters(port);
      expect(settled).toEqual(after);
      expect({
        drops: after.drops - before.drops,
        sessionless: after.sessionless - before.sessionless,
        staleSessions: after.staleSessions - before.staleSessions,
        plaintext: after.plaintext,
      }).toEqual({ drops: 1, sessionless: 1, staleSessions: 2, plaintext: 0 });
    }, 30_000);
});
