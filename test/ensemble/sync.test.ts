// Zab synchronization with real processes: a follower that missed commits catches up by DIFF,
// one holding an uncommitted tail from a dead leader is cut back by TRUNC, and one whose data dir
// was wiped gets the whole tree by SNAP. The leader's log names the mode it chose.

import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import type { ACL } from '../../protocol/records.js';
import { RawClient } from '../server/raw-client.js';
import { TestEnsemble } from '../support/ensemble.js';
import { dumpTree } from '../../cli/chaos/tree-digest.js';

let ensemble: TestEnsemble | undefined;
const openAcl: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

afterEach(async () => {
  await ensemble?.destroy();
  ensemble = undefined;
});

async function createAll(connectString: string, paths: string[]): Promise<void> {
  const client = await connect(connectString, { sessionTimeoutMs: 4000 });
  try {
    for (const path of paths) await client.create(path, `data of ${path}`);
  } finally {
    await client.close();
  }
}

/** Creates /null-data with null data and /empty-data with empty data through one replica. */
async function createNullAndEmpty(connectString: string): Promise<void> {
  const client = await connect(connectString, { sessionTimeoutMs: 4000 });
  try {
    await client.create('/null-data', null);
    await client.create('/empty-data', '');
  } finally {
    await client.close();
  }
}

/** /null-data and /empty-data as one replica answers them: null stays null, empty stays empty. */
async function nullAndEmptyOn(target: TestEnsemble, id: number): Promise<unknown[]> {
  const client = await connect(target.connectString([id]), { sessionTimeoutMs: 4000 });
  try {
    const read = async (path: string) => (await client.getData(path)).data;
    return [await read('/null-data'), await read('/empty-data')];
  } finally {
    await client.close();
  }
}

/** The sync modes the leader's log records for a learner (pino JSON lines). */
function syncModesFor(output: string, learner: number): string[] {
  return output
    .split('\n')
    .filter((line) => line.includes('"msg":"synchronizing learner"'))
    .map((line) => JSON.parse(line) as { learner: number; mode: string })
    .filter((entry) => entry.learner === learner)
    .map((entry) => entry.mode);
}

/** Polls until `read` returns `expected` (the leader logs a stream's end when its socket drains,
 *  which a loaded machine may do after the learner already applied it), then returns it. */
async function settles<T>(read: () => T, expected: T, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (read() !== expected && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return read();
}

async function expectSameTrees(target: TestEnsemble): Promise<Map<string, string>> {
  await target.waitForSameZxid();
  const dumps = await Promise.all(target.ids.map((id) => dumpTree(target.clientPort(id))));
  for (const dump of dumps) expect(dump.digest).toBe(dumps[0]!.digest);
  return dumps[0]!.data;
}

describe('synchronization (real processes)', { timeout: 60_000 }, () => {
  it('catches a follower up by DIFF after it missed commits (R=3)', async () => {
    ensemble = await TestEnsemble.create({ voters: 3 });
    ensemble.startAll();
    const leader = await ensemble.waitForLeader();
    const follower = ensemble.ids.find((id) => id !== leader)!;
    await createAll(ensemble.connectString([leader]), ['/seen']);
    await ensemble.waitForSameZxid();
    await ensemble.kill(follower);
    const missed = Array.from({ length: 20 }, (_, index) => `/missed-${index}`);
    await createAll(ensemble.connectString([leader]), missed);
    await createNullAndEmpty(ensemble.connectString([leader]));
    ensemble.start(follower);
    await ensemble.waitForLeader();
    const tree = await expectSameTrees(ensemble);
    for (const path of missed) expect(tree.get(path)).toBe(`data of ${path}`);
    expect(syncModesFor(ensemble.output(leader), follower).at(-1)).toBe('diff');
    expect(await nullAndEmptyOn(ensemble, follower)).toEqual([null, Buffer.alloc(0)]);
  });

  it('truncates an uncommitted tail from a dead leader by TRUNC (R=3)', async () => {
    ensemble = await TestEnsemble.create({ voters: 3 });
    ensemble.startAll();
    const oldLeader = await ensemble.waitForLeader();
    const followers = ensemble.ids.filter((id) => id !== oldLeader);
    await createAll(ensemble.connectString([oldLeader]), ['/committed']);
    await ensemble.waitForSameZxid();
    // With both followers paused, the leader logs a proposal only its own log will ever hold:
    // the followers die before they read it from their sockets.
    const client = await RawClient.session(ensemble.clientPort(oldLeader));
    for (const id of followers) ensemble.pause(id);
    client.send(1, {
      kind: 'create', opcode: 1, path: '/orphan', data: Buffer.from('never committed'),
      acl: openAcl, flags: 0, ttl: -1,
    });
    // Long enough for the leader to log it durably; no quorum can ACK it.
    await expect(client.replyTo(1, 1000)).rejects.toThrow(/no reply/);
    client.destroy();
    await ensemble.kill(oldLeader);
    for (const id of followers) await ensemble.kill(id);
    for (const id of followers) ensemble.start(id);
    const newLeader = await ensemble.waitForLeader(followers);
    await createAll(ensemble.connectString(followers), ['/after-new-leader']);
    ensemble.start(oldLeader);
    await ensemble.waitForLeader();
    const tree = await expectSameTrees(ensemble);
    expect(tree.has('/orphan')).toBe(false);
    expect(tree.has('/committed')).toBe(true);
    expect(tree.has('/after-new-leader')).toBe(true);
    expect(syncModesFor(ensemble.output(newLeader), oldLeader).at(-1)).toBe('trunc');
  });

  it('sends the whole tree by SNAP to a follower whose data dir was wiped (R=3)', async () => {
    ensemble = await TestEnsemble.create({ voters: 3 });
    ensemble.startAll();
    const leader = await ensemble.waitForLeader();
    const paths = Array.from({ length: 30 }, (_, index) => `/kept-${index}`);
    await createAll(ensemble.connectString([leader]), paths);
    await createNullAndEmpty(ensemble.connectString([leader]));
    const follower = ensemble.ids.find((id) => id !== leader)!;
    await ensemble.kill(follower);
    ensemble.wipe(follower);
    ensemble.start(follower);
    await ensemble.waitForLeader();
    const tree = await expectSameTrees(ensemble);
    for (const path of paths) expect(tree.get(path)).toBe(`data of ${path}`);
    expect(syncModesFor(ensemble.output(leader), follower).at(-1)).toBe('snap');
    expect(await nullAndEmptyOn(ensemble, follower)).toEqual([null, Buffer.alloc(0)]);
    // The SNAP is durable: the follower restarts from it alone.
    await ensemble.kill(follower);
    await ensemble.kill(leader);
    ensemble.start(follower);
    ensemble.start(leader);
    await ensemble.waitForLeader();
    const again = await expectSameTrees(ensemble);
    for (const path of paths) expect(again.get(path)).toBe(`data of ${path}`);
    expect(await nullAndEmptyOn(ensemble, follower)).toEqual([null, Buffer.alloc(0)]);
  });

  it('streams a SNAP of many pieces while writes go on, and every replica ends equal', async () => {
    ensemble = await TestEnsemble.create({ voters: 3 });
    ensemble.startAll();
    const leader = await ensemble.waitForLeader();
    const client = await connect(ensemble.connectString([leader]), { sessionTimeoutMs: 10_000 });
    try {
      // About 21 MiB: 21 SNAPPART pieces of 1 MiB before the SNAP.
      for (let index = 0; index < 24; index++) {
        await client.create(`/big-${index}`, Buffer.alloc(900 * 1024, 97 + index));
      }
      await client.create('/moving', '0');
      await ensemble.waitForSameZxid();
      const follower = ensemble.ids.find((id) => id !== leader)!;
      await ensemble.kill(follower);
      ensemble.wipe(follower);
      ensemble.start(follower);
      // Writes while the follower is brought back: those after the capture come after the SNAP.
      let version = 0;
      const deadline = Date.now() + 30_000;
      while (!(await ensemble.followers()).includes(follower) && Date.now() < deadline) {
        await client.setData('/moving', String(++version));
      }
      for (let more = 0; more < 20; more++) await client.setData('/moving', String(++version));
      const tree = await expectSameTrees(ensemble);
      expect(tree.get('/moving')).toBe(String(version));
      expect(tree.get('/big-23')).toBe(String.fromCharCode(97 + 23).repeat(900 * 1024));
      expect(syncModesFor(ensemble.output(leader), follower).at(-1)).toBe('snap');
      const sentTo = () => ensemble!.output(leader).split('\n')
        .filter((line) => line.includes('"msg":"sync stream sent"'))
        .map((line) => JSON.parse(line) as { learner: number; bytes: number });
      await settles(() => sentTo().at(-1)?.learner, follower);
      const streamed = sentTo();
      expect(streamed.at(-1)).toMatchObject({ learner: follower });
      expect(streamed.at(-1)!.bytes).toBeGreaterThan(20 * 1024 * 1024);
      // The follower restored the tree from the pieces as they came, and its digest, summed
      // afterwards, agreed with every txn's stamp once compared again.
      const loaded = ensemble.output(follower).split('\n')
        .filter((line) => line.includes('"msg":"loaded snapshot (SNAP)"'))
        .map((line) => JSON.parse(line) as { restoredAsReceived: boolean });
      expect(loaded.at(-1)).toMatchObject({ restoredAsReceived: true });
      expect(ensemble.output(follower)).not.toContain('tree digest mismatch');
    } finally {
      await client.close();
    }
  });

  it('gives up a SNAP stream whose learner dies mid-way, and streams it whole when it returns',
  async () => {
    ensemble = await TestEnsemble.create({ voters: 3 });
    ensemble.startAll();
    const leader = await ensemble.waitForLeader();
    // About 97 MiB: far more than the 32 MiB the leader queues before it waits for the reader.
    const paths = Array.from({ length: 110 }, (_, index) => `/big-${index}`);
    const client = await connect(ensemble.connectString([leader]), { sessionTimeoutMs: 10_000 });
    try {
      for (const [index, path] of paths.entries()) {
        await client.create(path, Buffer.alloc(900 * 1024, 97 + (index % 26)));
      }
    } finally {
      await client.close();
    }
    await ensemble.waitForSameZxid();
    const follower = ensemble.ids.find((id) => id !== leader)!;
    const snapSyncs = () => syncModesFor(ensemble!.output(leader), follower)
      .filter((mode) => mode === 'snap').length;
    // Counted on every other replica: a loaded leader may lose its quorum while it streams
    // 97 MiB, and the next leader then brings the learner back.
    const syncLines = () => ensemble!.ids.filter((id) => id !== follower)
      .flatMap((id) => ensemble!.output(id).split('\n').map((line) => `${id}: ${line}`))
      .filter((line) => line.includes(`"learner":${follower},`) &&
        /"msg":"(sync stream|synchronizing learner)/.test(line));
    const streamed = () => syncLines()
      .filter((line) => line.includes('"msg":"sync stream sent"')).length;
    // Stopped as its stream starts, the learner stops reading; the leader's queue fills and the
    // stream waits. A loaded machine may see the stop land after the stream ended: try again.
    let caughtMidStream = false;
    for (let attempt = 0; attempt < 4 && !caughtMidStream; attempt++) {
      await ensemble.kill(follower);
      ensemble.wipe(follower);
      const [syncsBefore, streamedBefore] = [snapSyncs(), streamed()];
      ensemble.start(follower);
      const deadline = Date.now() + 20_000;
      while (snapSyncs() === syncsBefore && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      ensemble.pause(follower);
      await new Promise((resolve) => setTimeout(resolve, 500));
      caughtMidStream = streamed() === streamedBefore;
    }
    expect(caughtMidStream).toBe(true);
    const abandoned = () => ensemble!.output(leader).split('\n')
      .filter((line) => line.includes('"msg":"sync stream abandoned"') &&
        line.includes(`"learner":${follower},`)).length;
    const [streamedBefore, abandonedBefore] = [streamed(), abandoned()];
    await ensemble.kill(follower);
    // The link is gone: the rest of that stream is never sent, and the next one is whole.
    ensemble.start(follower);
    await ensemble.waitForLeader();
    const tree = await expectSameTrees(ensemble);
    expect(tree.get('/big-109')).toBe(String.fromCharCode(97 + (109 % 26)).repeat(900 * 1024));
    // The stream cut by the kill is given up. A loaded learner may also time out loading the
    // next stream and drop that link too: each is given up, so count at least one more.
    expect(await settles(() => abandoned() > abandonedBefore, true)).toBe(true);
    // At least one whole stream since (a loaded learner may time out loading it and sync again).
    await settles(() => streamed() > streamedBefore, true);
    expect(streamed(), syncLines().join('\n')).toBeGreaterThan(streamedBefore);
    // Each went out a slice (about a megabyte) per turn of the leader's event loop, never the
    // whole tree in one: frames of 250 values of 900 KiB once made a slice of 101 MB.
    for (const line of syncLines().filter((text) => text.includes('"msg":"sync stream sent"'))) {
      const { bytes, slices } = JSON.parse(line.slice(line.indexOf('{'))) as
        { bytes: number; slices: number };
      expect(slices, line).toBeGreaterThanOrEqual(Math.floor(bytes / (8 << 20)));
    }
  });

  it('sends SNAP, not DIFF, once the leader purged the txns a follower missed (R=3)', async () => {
    // Snapshots every 40 txns, keeping 10: the log a lagging follower needs is soon gone.
    const extraConfig = ['snapCount=40', 'txnsRetainedMin=10', 'autopurge.snapRetainCount=3'];
    ensemble = await TestEnsemble.create({ voters: 3, extraConfig });
    ensemble.startAll();
    const leader = await ensemble.waitForLeader();
    await createAll(ensemble.connectString([leader]), ['/before']);
    await ensemble.waitForSameZxid();
    const follower = ensemble.ids.find((id) => id !== leader)!;
    await ensemble.kill(follower);
    const missed = Array.from({ length: 200 }, (_, index) => `/missed-${index}`);
    await createAll(ensemble.connectString([leader]), missed);
    expect(ensemble.output(leader)).toMatch(/"purgedTxns":[1-9]/);
    ensemble.start(follower);
    await ensemble.waitForLeader();
    const tree = await expectSameTrees(ensemble);
    for (const path of missed) expect(tree.get(path)).toBe(`data of ${path}`);
    expect(syncModesFor(ensemble.output(leader), follower).at(-1)).toBe('snap');
  });
});
