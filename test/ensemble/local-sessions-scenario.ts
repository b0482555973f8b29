// The local-sessions scenario both ensembles run (local-sessions.test.ts on corral and on Apache
// ZooKeeper 3.8 alike): sessions made on a follower and on the leader with localSessionsEnabled,
// what each costs in txns (srvr's Zxid), what an ephemeral create does to them, and what another
// replica says when one reconnects there. Raw wire clients, so both give the same observations.

import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OpCode } from '../../protocol/constants.js';
import type { ClientRequest } from '../../protocol/requests.js';
import { RawClient } from '../server/raw-client.js';
import type { ReplicaStatus } from '../support/ensemble.js';
import { fourLetterWord } from '../support/four-letter.js';

export interface LocalSessionServers {
  clientPort(id: number): number;
  waitForLeader(): Promise<number>;
  followers(): Promise<number[]>;
  status(id: number): Promise<ReplicaStatus>;
}

const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const ephemeralFlag = 1;

function create(path: string, flags: number): ClientRequest {
  return { kind: 'create', opcode: OpCode.create, path, data: Buffer.from('x'), acl: openAcl,
    flags, ttl: -1 };
}

const exists = (path: string) => ({ kind: 'exists', path, watch: false }) as ClientRequest;

interface Session {
  client: RawClient;
  sessionId: bigint;
  password: Buffer;
  timeoutMs: number;
  xid: number;
}

async function open(port: number, timeoutMs = 30_000): Promise<Session> {
  const client = await RawClient.open(port);
  const response = await client.handshake({ timeoutMs });
  if (response === 'closed' || response.timeout === 0) throw new Error('no session');
  return { client, sessionId: response.sessionId, password: response.password,
    timeoutMs: response.timeout, xid: 0 };
}

/**
 * Reconnects a session through `port`: 'expired' (timeout 0), 'closed' (no answer) or
 * 'attached', with the session on its new connection when attached.
 */
async function reconnect(port: number, session: Session) {
  const client = await RawClient.open(port);
  const response = await client.handshake({ sessionId: session.sessionId,
    password: session.password });
  if (response === 'closed' || response.timeout === 0) {
    client.destroy();
    return { outcome: response === 'closed' ? 'closed' : 'expired', moved: undefined };
  }
  return { outcome: 'attached', moved: { ...session, client } };
}

async function call(session: Session, request: ClientRequest): Promise<number> {
  session.xid += 1;
  const answer = await session.client.call(session.xid, request, 10_000);
  return answer.header.err;
}

async function closeSession(session: Session): Promise<void> {
  await call(session, { kind: 'closeSession' } as ClientRequest).catch(() => undefined);
  session.client.destroy();
}

/**
 * The leader's zxid once in-flight work has settled: every txn is committed there before its
 * client is answered (a follower's srvr may say 0 until its first txn, as ZooKeeper's does).
 */
async function leaderZxid(servers: LocalSessionServers, leader: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  const zxid = (await servers.status(leader)).zxid;
  if (zxid === undefined) throw new Error(`leader ${leader} did not answer srvr`);
  return zxid;
}

/** exists through a replica after a sync, so it has applied what was committed before. */
async function syncedExists(session: Session, path: string): Promise<number> {
  await call(session, { kind: 'sync', path } as ClientRequest);
  return call(session, exists(path));
}

/** mntr's zk_local_sessions and zk_global_sessions on the replica at `port`. */
async function sessionCounts(port: number) {
  const text = await fourLetterWord(port, 'mntr', 5000);
  const figure = (key: string) =>
    Number(new RegExp(`^zk_${key}\\s+(\\d+)`, 'm').exec(text)?.[1]);
  return { local: figure('local_sessions'), global: figure('global_sessions') };
}

/** Runs the scenario; node paths start with `prefix`. */
export async function observeLocalSessions(servers: LocalSessionServers, prefix: string) {
  const leader = await servers.waitForLeader();
  const [first, second] = await servers.followers();
  const port = (id: number) => servers.clientPort(id);
  const start = await leaderZxid(servers, leader);
  const onFollower = await open(port(first!));
  const onLeader = await open(port(leader));
  const afterConnect = (await leaderZxid(servers, leader)) - start;
  const countsOnFollower = await sessionCounts(port(first!));
  const persistent = await call(onFollower, create(`${prefix}-p`, 0));
  // After a sync: ZooKeeper may answer the follower's client before the leader itself has
  // applied the commit, and another session's read has no read-your-writes (seen: NoNode).
  const persistentRead = await syncedExists(onLeader, `${prefix}-p`);
  const afterPersistent = (await leaderZxid(servers, leader)) - start;
  const reconnectLocal = (await reconnect(port(second!), onLeader)).outcome;
  const afterReconnect = (await leaderZxid(servers, leader)) - start;
  const ephemeral = await call(onFollower, create(`${prefix}-e`, ephemeralFlag));
  const afterEphemeral = (await leaderZxid(servers, leader)) - start;
  const countsAfterEphemeral = await sessionCounts(port(first!));
  const witness = await open(port(second!));
  const ephemeralSeen = await syncedExists(witness, `${prefix}-e`);
  const leaderEphemeral = await call(onLeader, create(`${prefix}-le`, ephemeralFlag));
  const afterLeaderEphemeral = (await leaderZxid(servers, leader)) - start;
  const leaderEphemeralSeen = await syncedExists(witness, `${prefix}-le`);
  const { outcome: reconnectUpgraded, moved } = await reconnect(port(second!), onFollower);
  // A moved session closes through its new connection (its old one would get SessionMoved).
  await closeSession(moved ?? onFollower);
  if (moved !== undefined) onFollower.client.destroy();
  await closeSession(onLeader);
  const afterClose = (await leaderZxid(servers, leader)) - start;
  const ephemeralAfterClose = await syncedExists(witness, `${prefix}-e`);
  const leaderEphemeralAfterClose = await syncedExists(witness, `${prefix}-le`);
  await closeSession(witness);
  return {
    afterConnect,
    countsOnFollower,
    countsAfterEphemeral,
    persistent,
    persistentRead,
    afterPersistent,
    reconnectLocal,
    afterReconnect,
    ephemeral,
    afterEphemeral,
    ephemeralSeen,
    leaderEphemeral,
    afterLeaderEphemeral,
    leaderEphemeralSeen,
    leaderEphemeralAfterClose,
    reconnectUpgraded,
    afterClose,
    ephemeralAfterClose,
  };
}

/**
 * A local session whose client vanishes (no closeSession) expires on its replica with no txn:
 * once well past its timeout, that replica too answers it expired. With `upgradeFirst` it
 * creates an ephemeral first, so the leader expires it (a closeSession txn; the node goes).
 */
export async function observeLocalExpiry(servers: LocalSessionServers, upgradeFirst = false) {
  const leader = await servers.waitForLeader();
  const [first, second] = await servers.followers();
  const start = await leaderZxid(servers, leader);
  // The shortest timeout the replica grants (2 ticks).
  const vanishing = await open(servers.clientPort(first!), 1);
  const ephemeral = upgradeFirst ? await call(vanishing, create('/expiring', 1)) : undefined;
  // The control: a session that outlives the wait is taken back by its replica.
  const lasting = await open(servers.clientPort(first!), 30_000);
  vanishing.client.destroy();
  lasting.client.destroy();
  await new Promise((resolve) => setTimeout(resolve, 2 * vanishing.timeoutMs + 1000));
  const reconnectSameReplica = (await reconnect(servers.clientPort(first!), vanishing)).outcome;
  const back = await reconnect(servers.clientPort(first!), lasting);
  if (back.moved !== undefined) await closeSession(back.moved);
  const afterExpiry = (await leaderZxid(servers, leader)) - start;
  const witness = await open(servers.clientPort(second!));
  const ephemeralAfterExpiry = await syncedExists(witness, '/expiring');
  await closeSession(witness);
  return { reconnectSameReplica, reconnectLasting: back.outcome, afterExpiry, ephemeral,
    ephemeralAfterExpiry };
}

const kazooScript = join(dirname(fileURLToPath(import.meta.url)), 'kazoo', 'local_sessions.py');

/** kazoo (kazoo/local_sessions.py) on a follower, a witness on the other follower. */
export async function observeKazoo(servers: LocalSessionServers): Promise<unknown> {
  await servers.waitForLeader();
  const [first, second] = await servers.followers();
  const host = (id: number) => `127.0.0.1:${servers.clientPort(id)}`;
  return new Promise((resolve, reject) => {
    execFile('/usr/bin/python3', [kazooScript, host(first!), host(second!)],
      { timeout: 60_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } },
      (error, stdout, stderr) => {
        if (error !== null) reject(new Error(`kazoo failed: ${error.message}\n${stderr}`));
        else resolve(JSON.parse(stdout.trim().split('\n').at(-1) ?? ''));
      });
  });
}
