// Issue 13, item 5: a rolling upgrade from the previous peer wire version (4, peer protocol 1)
// to the current one (5), then a rolling restart at 5, of a real three-replica ensemble under
// client load (node-zookeeper-client). Each replica is stopped gracefully and restarted alone;
// links negotiate the lower version; no acknowledged write is lost; each restart costs clients
// at most about one election; a reconfig is refused until every replica speaks 5.

import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import { WireConnection } from '../../client/wire.js';
import { digestId } from '../../actors/server/auth/digest.js';
import { ErrorCode } from '../../protocol/errors.js';
import { closeClient, connectClient, errorCode, within, zookeeper } from '../interop/nzc.js';
import { TestEnsemble } from '../support/ensemble.js';
import type { Client } from 'node-zookeeper-client';

const tickTimeMs = 200;
/** TestEnsemble's initLimit: a learner gets this many ticks to sync with a new leader. */
const initLimitTicks = 20;
/** One election, generously: initLimit and a few seconds of a loaded 2-core machine, twice. */
const restartGapMsMax = 2 * (initLimitTicks * tickTimeMs + 3000);
const writeTimeoutMs = 10_000;
/** Bounds each writer; paced writes make under 100 a second, well under this for the test. */
const writesMax = 20_000;
const writePaceMs = 5;
const servingTimeoutMs = 30_000;

let ensemble: TestEnsemble | undefined;
let load: WriteLoad | undefined;

afterEach(async () => {
  await load?.stop();
  load = undefined;
  await ensemble?.destroy();
  ensemble = undefined;
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One client writing sequential znodes one at a time, keeping every acknowledged one. */
class Writer {
  /** Acknowledged: the created path (its sequence number) → the data written. */
  readonly acknowledged = new Map<string, string>();
  /** When each acknowledgement arrived (ms), in order. */
  readonly ackTimesMs: number[] = [];
  failures = 0;
  private stopped = false;
  private running: Promise<void> | undefined;

  constructor(readonly name: string, private readonly client: Client) {}

  start(): void {
    this.running = this.run();
  }

  private async run(): Promise<void> {
    for (let index = 0; index < writesMax && !this.stopped; index++) {
      const data = `${this.name}-${index}`;
      let path: string | undefined;
      const code = await within(errorCode((callback) => this.client.create(
        `/rolling/${this.name}-`, Buffer.from(data), zookeeper.ACL.OPEN_ACL_UNSAFE,
        zookeeper.CreateMode.PERSISTENT_SEQUENTIAL,
        (error: Error | null, created: string) => {
          path = created;
          callback(error as never);
        })), writeTimeoutMs).catch(() => ErrorCode.operationTimeout);
      if (code === 0 && path !== undefined) {
        this.acknowledged.set(path, data);
        this.ackTimesMs.push(Date.now());
      } else {
        this.failures += 1;
      }
      await sleep(code === 0 ? writePaceMs : 50);
    }
  }

  acksSince(timeMs: number): number {
    return this.ackTimesMs.filter((ack) => ack >= timeMs).length;
  }

  /** The longest time without an acknowledgement that overlaps [fromMs, toMs]. */
  longestGapMs(fromMs: number, toMs: number): number {
    let longest = 0;
    for (let index = 1; index < this.ackTimesMs.length; index++) {
      const before = this.ackTimesMs[index - 1]!;
      const after = this.ackTimesMs[index]!;
      if (after >= fromMs && before <= toMs) longest = Math.max(longest, after - before);
    }
    return longest;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
    await closeClient(this.client);
  }
}

/**
 * Three writers, each with every replica in its connect string (node-zookeeper-client
 * shuffles it, so sessions spread over the replicas and move when theirs stops).
 */
class WriteLoad {
  private constructor(readonly writers: Writer[]) {}

  static async start(target: TestEnsemble): Promise<WriteLoad> {
    const clients = await Promise.all(target.ids.map(() =>
      connectClient(target.connectString(), { sessionTimeout: 10_000 })));
    await errorCode((callback) => clients[0]!.create('/rolling', callback));
    const writers = clients.map((client, index) => new Writer(`w${index}`, client));
    for (const writer of writers) writer.start();
    return new WriteLoad(writers);
  }

  /** Waits until every writer has `count` acknowledgements from `sinceMs` on. */
  async waitForAcks(sinceMs: number, count: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.writers.every((writer) => writer.acksSince(sinceMs) >= count)) return;
      await sleep(50);
    }
    const counts = this.writers.map((writer) => `${writer.name}:${writer.acksSince(sinceMs)}`);
    throw new Error(`writes did not resume within ${timeoutMs} ms (${counts.join(' ')})`);
  }

  longestGapMs(fromMs: number, toMs: number): number {
    return Math.max(...this.writers.map((writer) => writer.longestGapMs(fromMs, toMs)));
  }

  async stop(): Promise<void> {
    await Promise.all(this.writers.map((writer) => writer.stop()));
  }
}

interface RestartRecord {
  step: string;
  id: number;
  role: string;
  gapMs: number;
  /** How many epochs the ensemble went through: each election that settles starts one. */
  elections: number;
}

/** The highest epoch (zxid >> 32) the replicas report. */
async function epochOf(target: TestEnsemble): Promise<number> {
  const statuses = await Promise.all(target.ids.map((id) => target.status(id)));
  return Math.max(...statuses.map((status) => Math.floor((status.zxid ?? 0) / 2 ** 32)));
}

/** Tracks each replica's peer wire version and rolls replicas one at a time. */
class RollingOperator {
  readonly versions = new Map<number, number>();
  readonly restarts: RestartRecord[] = [];

  constructor(private readonly target: TestEnsemble, private readonly writes: WriteLoad,
    initialVersion: number) {
    for (const id of target.ids) this.versions.set(id, initialVersion);
  }

  async leader(): Promise<number> {
    return this.target.waitForLeader(this.target.ids, servingTimeoutMs);
  }

  /** Stops `id` gracefully, restarts it at `version`, waits until all serve and writes flow. */
  async roll(step: string, id: number, version: number): Promise<void> {
    const role = (await this.target.status(id)).mode ?? 'down';
    const epochBefore = await epochOf(this.target);
    const stoppedAtMs = Date.now();
    await this.target.restart(id, { extraConfig: [`peerWireVersion=${version}`] });
    this.versions.set(id, version);
    await this.leader();
    await this.writes.waitForAcks(Date.now(), 5, servingTimeoutMs);
    const gapMs = this.writes.longestGapMs(stoppedAtMs, Date.now());
    const elections = (await epochOf(this.target)) - epochBefore;
    this.restarts.push({ step, id, role, gapMs, elections });
    await this.expectLinksAtLowerVersion();
  }

  /** Every link between two replicas runs at the lower of their versions (both ends say so). */
  async expectLinksAtLowerVersion(): Promise<void> {
    const ids = this.target.ids;
    const expected = (from: number, to: number) =>
      Math.min(this.versions.get(from)!, this.versions.get(to)!);
    const mismatches = () => ids.flatMap((from) => {
      const links = this.target.peerLinkVersions(from);
      return ids.filter((to) => to !== from && links.get(to) !== expected(from, to))
        .map((to) => `${from}->${to}: ${links.get(to)} (expected ${expected(from, to)})`);
    });
    const deadline = Date.now() + 10_000;
    while (mismatches().length > 0 && Date.now() < deadline) await sleep(100);
    expect(mismatches(), 'peer links at the lower version of their ends').toEqual([]);
  }
}

/**
 * A reconfig that changes nothing: the current members (read from /zookeeper/config) as the
 * new membership, as the super user. Its error code, and the configuration's `version=` line
 * before and after it (read again on the same session: its replica has applied it by then).
 */
async function reconfigSameMembers(port: number) {
  const connection = await WireConnection.open({ host: '127.0.0.1', port, timeoutMs: 10_000 });
  const readConfig = async () => {
    const config = await connection.request({
      kind: 'getData', path: '/zookeeper/config', watch: false,
    });
    if (config.body.kind !== 'data' || config.body.data === null) {
      throw new Error('no /zookeeper/config');
    }
    return config.body.data.toString().split('\n');
  };
  try {
    const auth = await connection.request({
      kind: 'auth', authType: 0, scheme: 'digest', auth: Buffer.from('super:boss'),
    });
    expect(auth.header.err).toBe(0);
    const before = await readConfig();
    const reply = await connection.request({
      kind: 'reconfig',
      joiningServers: null,
      leavingServers: null,
      newMembers: before.filter((line) => line.startsWith('server.')).join('\n'),
      currentConfigId: -1n,
    });
    const after = await readConfig();
    const version = (lines: string[]) => lines.find((line) => line.startsWith('version='));
    return { err: reply.header.err, before: version(before), after: version(after) };
  } finally {
    await connection.close();
  }
}

/**
 * Every write acknowledged so far reads back from replica `id`, after a sync (so the replica
 * has applied everything committed before it, while the load goes on).
 */
async function expectAcknowledgedReadBack(target: TestEnsemble, id: number, writes: WriteLoad) {
  const acknowledged = writes.writers.flatMap((writer) => [...writer.acknowledged]);
  const client = await connect(`127.0.0.1:${target.clientPort(id)}`, { sessionTimeoutMs: 10_000 });
  try {
    await client.sync('/rolling');
    const lost: string[] = [];
    for (let start = 0; start < acknowledged.length; start += 200) {
      const batch = acknowledged.slice(start, start + 200);
      const read = await Promise.all(batch.map(([path]) =>
        client.getData(path).then((result) => result.data?.toString(), () => undefined)));
      batch.forEach(([path, data], index) => {
        if (read[index] !== data) lost.push(`${path} (${read[index] ?? 'missing'})`);
      });
    }
    expect(lost, `acknowledged writes missing or changed on replica ${id}`).toEqual([]);
  } finally {
    await client.close();
  }
}

/**
 * Once the load has stopped: every acknowledged write reads back from every replica, all hold
 * the same /rolling children at the same zxid, and each writer's sequence numbers rose in the
 * order it was answered (one session's writes take effect in the order sent, across its
 * reconnections).
 */
async function expectNoAcknowledgedWriteLost(target: TestEnsemble, writes: WriteLoad) {
  await target.waitForSameZxid(target.ids, 20_000);
  const childrenByReplica: string[][] = [];
  for (const id of target.ids) {
    await expectAcknowledgedReadBack(target, id, writes);
    const client = await connect(`127.0.0.1:${target.clientPort(id)}`, {
      sessionTimeoutMs: 10_000,
    });
    try {
      childrenByReplica.push((await client.getChildren('/rolling')).sort());
    } finally {
      await client.close();
    }
  }
  for (const children of childrenByReplica) expect(children).toEqual(childrenByReplica[0]);
  for (const writer of writes.writers) {
    const sequence = [...writer.acknowledged.keys()].map((path) => Number(path.slice(-10)));
    const backwards = sequence.filter((number, index) =>
      index > 0 && number <= sequence[index - 1]!);
    expect(backwards, `${writer.name}: sequence numbers out of order`).toEqual([]);
  }
}

function report(title: string, operator: RollingOperator, writes: WriteLoad): void {
  const lines = operator.restarts.map((restart) =>
    `  ${restart.step}: replica ${restart.id} (${restart.role}) ` +
    `longest gap ${restart.gapMs} ms, ${restart.elections} election(s)`);
  const totals = writes.writers.map((writer) =>
    `${writer.name} ${writer.acknowledged.size} acknowledged, ${writer.failures} failed`);
  console.log(`${title} (gap bound ${restartGapMsMax} ms)\n${lines.join('\n')}\n` +
    `  ${totals.join('; ')}`);
}

/** A replica at `version` that follows (not yet restarted in this round), if any. */
async function followerAt(operator: RollingOperator, version: number, done: Set<number>) {
  const followers = await ensemble!.followers();
  return followers.find((id) => operator.versions.get(id) === version && !done.has(id));
}

describe('rolling upgrade and rolling restart under load (real processes, R=3)',
  { timeout: 90_000 }, () => {
    it('upgrades 4 → 5 one replica at a time, then restarts each at 5, losing no write',
      async () => {
        ensemble = await TestEnsemble.create({ voters: 3, tickTimeMs, extraConfig: [
          'peerWireVersion=4',
          'reconfigEnabled=true',
          `DigestAuthenticationProvider.superDigest=${digestId('super', 'boss')}`,
        ] });
        ensemble.startAll();
        await ensemble.waitForLeader(ensemble.ids, servingTimeoutMs);
        load = await WriteLoad.start(ensemble);
        const writes = load;
        const operator = new RollingOperator(ensemble, writes, 4);
        await writes.waitForAcks(0, 5, servingTimeoutMs);
        await operator.expectLinksAtLowerVersion();

        // The upgrade: followers first, while the leader still speaks 4.
        for (const step of ['upgrade follower', 'upgrade second follower']) {
          const follower = await followerAt(operator, 4, new Set());
          expect(follower, `a follower at 4 for ${step}`).toBeDefined();
          await operator.roll(step, follower!, 5);
        }
        // A leader on peer protocol 1 knows no reconfig. It goes last; restarting it at 4 first
        // hands leadership to a replica at 5 while one learner still speaks 4.
        let leader = await operator.leader();
        for (let attempt = 0; attempt < 2 && operator.versions.get(leader) === 4; attempt++) {
          expect((await reconfigSameMembers(ensemble.clientPort(leader))).err)
            .toBe(ErrorCode.unimplemented);
          await operator.roll('hand leadership over (restart at 4)', leader, 4);
          leader = await operator.leader();
        }
        expect(operator.versions.get(leader), 'the leader speaks 5').toBe(5);
        expect((await reconfigSameMembers(ensemble.clientPort(leader))).err)
          .toBe(ErrorCode.newConfigNoQuorum);
        const last = ensemble.ids.find((id) => operator.versions.get(id) === 4)!;
        await operator.roll('upgrade last', last, 5);
        leader = await operator.leader();
        // Every replica speaks 5: what was acknowledged during the upgrade is all there.
        for (const id of ensemble.ids) await expectAcknowledgedReadBack(ensemble, id, writes);
        const reconfig = await reconfigSameMembers(ensemble.clientPort(leader));
        expect(reconfig.err).toBe(ErrorCode.ok);
        expect(reconfig.after, 'a new configuration version').toMatch(/^version=[0-9a-f]+$/);
        expect(reconfig.after).not.toBe(reconfig.before);

        // A rolling restart at 5: followers first, the leader last.
        const restarted = new Set<number>();
        for (let round = 0; round < ensemble.ids.length; round++) {
          const leaderNow = await operator.leader();
          const next = await followerAt(operator, 5, restarted) ??
            (restarted.has(leaderNow) ? ensemble.ids.find((id) => !restarted.has(id))! : leaderNow);
          await operator.roll('restart at 5', next, 5);
          restarted.add(next);
        }

        await writes.stop();
        load = undefined;
        report('rolling upgrade 4 → 5, then rolling restart at 5', operator, writes);
        for (const restart of operator.restarts) {
          const what = `${restart.step} of replica ${restart.id} (${restart.role})`;
          expect(restart.gapMs, what).toBeLessThan(restartGapMsMax);
          // A follower rejoins the settled ensemble; only the leader's leaving elects (once).
          expect(restart.elections, what).toBe(restart.role === 'leader' ? 1 : 0);
        }
        await expectNoAcknowledgedWriteLost(ensemble, writes);
      });
  });
