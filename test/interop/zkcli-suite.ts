// Interop with Apache ZooKeeper's own shell, zkCli.sh 3.8, written once and run by two test
// files: each case pipes a batch of commands into one zkCli JVM and asserts on what it prints
// (results, error messages, watch events). In an ensemble the shells talk to a follower.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type Target, type Topology } from './target.js';
import { runZkCli, statBlocks, withoutStats } from './zkcli.js';

interface ZkCliContext {
  target: Target;
  topology: Topology;
  label: string;
}

/** Registers the whole suite in the calling test file, against one target of `topology`. */
export function zkCliSuite(topology: Topology): void {
  const context = {
    topology,
    label: topology === 'ensemble' ? 'ensemble, on a follower' : 'standalone',
  } as ZkCliContext;

  beforeAll(async () => {
    // zkCli asks for 30 s sessions and closes them on quit, so no case depends on the tickTime:
    // the standalone keeps its historical 500, the ensemble TestEnsemble's 200.
    const tickTimeMs = topology === 'ensemble' ? 200 : 500;
    context.target = await startTarget({ tickTimeMs, topology });
  });

  afterAll(async () => {
    await context.target?.stop();
  });

  describeReadsAndWrites(context);
  describeDeletesAndVersions(context);
  describeWatches(context);
  describeConfig(context);
  describeQuotas(context);
}

function describeReadsAndWrites(context: ZkCliContext): void {
  describe(`zkCli.sh reads and writes (${context.label})`, () => {
    it('create with data, get -s, set, stat: data and dataVersion 0 then 1', async () => {
      const run = await runZkCli(context.target.connectString, [
        'create /cli-data "hello"',
        'get -s /cli-data',
        'set /cli-data world',
        'get /cli-data',
        'stat /cli-data',
      ]);
      expect(withoutStats(run.lines), run.raw).toEqual(['Created /cli-data', 'hello', 'world']);
      const [afterCreate, afterSet] = statBlocks(run.lines);
      expect(afterCreate).toMatchObject({
        dataVersion: '0',
        cversion: '0',
        aclVersion: '0',
        ephemeralOwner: '0x0',
        dataLength: '5',
        numChildren: '0',
      });
      expect(afterSet).toMatchObject({ dataVersion: '1', dataLength: '5', numChildren: '0' });
      expect(afterSet?.cZxid).toBe(afterCreate?.cZxid);
      expect(afterSet?.mZxid).not.toBe(afterCreate?.mZxid);
    });

    it('create -s and -e -s, ls, getAllChildrenNumber, getEphemerals; ephemeral gone on quit',
      async () => {
        const run = await runZkCli(context.target.connectString, [
          'create /cli-ls',
          'create /cli-ls/a',
          'create /cli-ls/a/deep',
          'create -e -s /cli-ls/eph- x',
          'create -s /cli-ls/seq-',
          'ls /cli-ls',
          'getAllChildrenNumber /cli-ls',
          'getEphemerals /cli-ls',
          'stat /cli-ls/eph-0000000001',
        ]);
        expect(withoutStats(run.lines), run.raw).toEqual([
          'Created /cli-ls',
          'Created /cli-ls/a',
          'Created /cli-ls/a/deep',
          'Created /cli-ls/eph-0000000001',
          'Created /cli-ls/seq-0000000002',
          '[a, eph-0000000001, seq-0000000002]',
          '4',
          '[/cli-ls/eph-0000000001]',
        ]);
        expect(statBlocks(run.lines)[0]?.ephemeralOwner).toMatch(/^0x[0-9a-f]*[1-9a-f][0-9a-f]*$/);
        // zkCli's quit closes the session, so its ephemeral is gone for the next shell, which
        // runs on the second server (the leader in an ensemble).
        const after = await runZkCli(context.target.second.connectString, ['ls /cli-ls',
          'getEphemerals']);
        expect(after.lines, after.raw).toEqual(['[a, seq-0000000002]', '[]']);
      });
  });
}

function describeDeletesAndVersions(context: ZkCliContext): void {
  describe(`zkCli.sh deletes and versions (${context.label})`, () => {
    it('delete refuses a parent (Node not empty), deleteall removes the subtree', async () => {
      const run = await runZkCli(context.target.connectString, [
        'create /cli-del',
        'create /cli-del/x',
        'create /cli-del/x/y',
        'delete /cli-del',
        'deleteall /cli-del',
        'ls /cli-del',
        'create /cli-del2',
        'create /cli-del2',
        'delete /cli-del2',
        'get /cli-del2',
        'create /cli-del3/orphan',
      ]);
      expect(run.exitCode).toBe(1);
      expect(run.lines, run.raw).toEqual([
        'Created /cli-del',
        'Created /cli-del/x',
        'Created /cli-del/x/y',
        'Node not empty: /cli-del',
        'Node does not exist: /cli-del',
        'Created /cli-del2',
        'Node already exists: /cli-del2',
        'Node does not exist: /cli-del2',
        'Node does not exist: /cli-del3/orphan',
      ]);
    });

    it('set -v and delete -v with a stale version print the version-mismatch message',
      async () => {
        const run = await runZkCli(context.target.connectString, [
          'create /cli-version v0',
          'set -v 0 /cli-version v1',
          'set -v 0 /cli-version v2',
          'delete -v 7 /cli-version',
          'get /cli-version',
          'delete -v 1 /cli-version',
          'ls /cli-version',
        ]);
        expect(run.lines, run.raw).toEqual([
          'Created /cli-version',
          'version No is not valid : /cli-version',
          'version No is not valid : /cli-version',
          'v1',
          'Node does not exist: /cli-version',
        ]);
      });
  });
}

function describeWatches(context: ZkCliContext): void {
  describe(`zkCli.sh watches (${context.label})`, () => {
    it('addWatch: -m PERSISTENT fires for node and child list, PERSISTENT_RECURSIVE for subtree',
      async () => {
        const run = await runZkCli(context.target.connectString, [
          'create /cli-watch',
          'create /cli-tree',
          'addWatch -m PERSISTENT /cli-watch',
          // Always pass -m: zkCli reuses one command object, so a mode given once sticks.
          'addWatch -m PERSISTENT_RECURSIVE /cli-tree',
          'create /cli-watch/c 1',
          'set /cli-watch/c 2',
          'set /cli-watch x',
          'create /cli-tree/a',
          'create /cli-tree/a/b',
          'set /cli-tree/a/b z',
          'deleteall /cli-tree',
          'sync /',
        ]);
        // A persistent watch reports its own node's changes and child-list changes (not changes
        // to a child's data); a recursive one reports every node below, and no child events.
        expect(run.events, run.raw).toEqual([
          'NodeChildrenChanged /cli-watch',
          'NodeDataChanged /cli-watch',
          'NodeCreated /cli-tree/a',
          'NodeCreated /cli-tree/a/b',
          'NodeDataChanged /cli-tree/a/b',
          'NodeDeleted /cli-tree/a/b',
          'NodeDeleted /cli-tree/a',
          'NodeDeleted /cli-tree',
        ]);
      });
  });
}

function describeConfig(context: ZkCliContext): void {
  describe(`zkCli.sh config (${context.label})`, () => {
    // zkCli's `config` is getConfig: the data of /zookeeper/config. A standalone server keeps it
    // empty; in an ensemble ZooKeeper keeps the membership there, one server.N line per member
    // (quorum and election ports, role), then the version of that configuration.
    const member = (id: number): RegExp =>
      new RegExp(`^server\\.${id}=127\\.0\\.0\\.1:\\d+:\\d+:participant$`);
    const expected = context.topology === 'ensemble'
      ? [member(1), member(2), member(3), /^version=[0-9a-f]+$/]
      : [];
    it(`config: ${context.topology === 'ensemble' ? 'server.1..3 and version' : 'empty'}`,
      async () => {
        const run = await runZkCli(context.target.connectString, ['config']);
        expect(run.lines, run.raw).toHaveLength(expected.length);
        run.lines.forEach((line, index) => expect(line).toMatch(expected[index]!));
      });
  });
}

function describeQuotas(context: ZkCliContext): void {
  describe(`zkCli.sh quotas (${context.label})`, () => {
    it('setquota counts the subtree, listquota follows writes, delquota removes the nodes',
      async () => {
        const stats = '/zookeeper/quota/cli-quota/zookeeper_stats';
        const run = await runZkCli(context.target.connectString, [
          'create /cli-quota abc',
          'create /cli-quota/a hello',
          'create /cli-quota/b',
          'setquota -n 5 /cli-quota',
          'listquota /cli-quota',
          `get -s ${stats}`,
          'create /cli-quota/c 12345',
          'set /cli-quota/a hi',
          'delete /cli-quota/b',
          `get -s ${stats}`,
          'setquota -B 20 /cli-quota',
          'setquota -N 2 /cli-quota',
          // Without enforceQuota a hard limit is not enforced.
          'create /cli-quota/d 1234567890123456789012345',
          'listquota /cli-quota',
          'setquota -n 3 /cli-quota/a',
          'setquota -n 3 /zookeeper/quota/x',
          'setquota -n 3 /cli-quota-missing',
          'setquota -n 0 /cli-quota',
          'setquota -b -1 /cli-quota',
          'delquota -n /cli-quota',
          'listquota /cli-quota',
          'delquota /cli-quota',
          'listquota /cli-quota',
          'ls /zookeeper/quota',
          'delquota /cli-quota',
        ]);
        const limits = 'absolute path is /zookeeper/quota/cli-quota/zookeeper_limits';
        expect(withoutStats(run.lines), run.raw).toEqual([
          'Created /cli-quota',
          'Created /cli-quota/a',
          'Created /cli-quota/b',
          limits,
          'Output quota for /cli-quota count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=-1',
          'Output stat for /cli-quota count=3,bytes=8',
          'count=3,bytes=8',
          'Created /cli-quota/c',
          'count=3,bytes=10',
          '[Warning]: the count quota you create is less than the existing count:3',
          'Created /cli-quota/d',
          limits,
          'Output quota for /cli-quota count=5,bytes=-1=;byteHardLimit=20;countHardLimit=2',
          'Output stat for /cli-quota count=4,bytes=35',
          '/cli-quota/a has a parent /cli-quota which has a quota',
          'cannot set a quota under the path: /zookeeper/quota',
          '/cli-quota-missing does not exist.',
          'the num quota must be greater than zero',
          'the bytes quota must be greater than or equal to zero',
          limits,
          'Output quota for /cli-quota count=-1,bytes=-1=;byteHardLimit=20;countHardLimit=2',
          'Output stat for /cli-quota count=4,bytes=35',
          limits,
          'quota for /cli-quota does not exist.',
          '[]',
          'Quota does not exist for /cli-quota',
        ]);
        // The stats node's data changes under its stat: same version and mZxid, new length.
        const [first, second] = statBlocks(run.lines);
        expect(first).toMatchObject({ dataVersion: '0', dataLength: '15' });
        expect(first?.mZxid).toBe(first?.cZxid);
        expect(second).toMatchObject({ dataVersion: '0', dataLength: '16' });
        expect(second?.mZxid).toBe(first?.mZxid);
      });
  });
}
