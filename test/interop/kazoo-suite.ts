// The kazoo 2.8 interop suite (Debian python3-kazoo), written once and run by two test files:
// each case runs one Python script under kazoo/ and asserts on the JSON line it prints. Scripts
// get three servers: in an ensemble a follower for the first session, the leader for the second,
// the other follower for the third; standalone, the one server three times.

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTarget, type Target, type Topology } from './target.js';

const python = '/usr/bin/python3';
const scripts = join(dirname(fileURLToPath(import.meta.url)), 'kazoo');

/** The server and a way to run one script against it, shared by the cases. */
export class KazooSuite {
  target!: Target;
  /**
   * Standalone keeps the suite's historical tickTime 500; the ensemble uses 200 (faster
   * elections). kazoo asks for a 4 s session timeout, inside both bounds (at most 20 ticks).
   */
  readonly tickTimeMs: number;
  readonly label: string;

  constructor(readonly topology: Topology) {
    this.tickTimeMs = topology === 'ensemble' ? 200 : 500;
    this.label = topology === 'ensemble' ? 'ensemble, first session on a follower' : 'standalone';
  }

  /** Runs kazoo/<name>.py against the target and returns the JSON object on its last line. */
  run = async (name: string): Promise<Record<string, unknown>> => {
    const servers = [this.target, this.target.second, this.target.third];
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        python,
        [join(scripts, `${name}.py`), ...servers.map((server) => server.connectString)],
        { cwd: scripts, timeout: 25_000, env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } },
        (error, out, err) => {
          if (error) reject(new Error(`${name}.py failed: ${error.message}\n${out}\n${err}`));
          else resolve(out);
        },
      );
    });
    const lines = stdout.trim().split('\n');
    return JSON.parse(lines[lines.length - 1] ?? '') as Record<string, unknown>;
  };
}

/** Registers the whole suite in the calling test file, against one target of `topology`. */
export function kazooSuite(topology: Topology): void {
  const suite = new KazooSuite(topology);
  let jaasDir: string | undefined;

  beforeAll(async () => {
    jaasDir = mkdtempSync(join(tmpdir(), 'corral-jaas-'));
    const jaasFile = join(jaasDir, 'jaas.conf');
    writeFileSync(
      jaasFile,
      'Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n' +
        '  user_bob="bobsecret";\n};\n',
    );
    suite.target = await startTarget({
      zooCfg: ['4lw.commands.whitelist=*', 'extendedTypesEnabled=true'],
      tickTimeMs: suite.tickTimeMs,
      jaasFile,
      containerCheckIntervalMs: 500,
      topology,
    });
  });

  afterAll(async () => {
    await suite.target?.stop();
    if (jaasDir !== undefined) rmSync(jaasDir, { recursive: true, force: true });
  });

  describeLockingRecipes(suite);
  describeGroupRecipes(suite);
  describeNodes(suite);
  describeRequests(suite);
  describeAuthentication(suite);
  describeQuotas(suite);
}

export function describeLockingRecipes(suite: KazooSuite): void {
  describe(`kazoo recipes: lock, election, barrier (${suite.label})`, () => {
    it('Lock: second contender waits in sequence order, acquires after release (2 sessions)',
      async () => {
        const result = await suite.run('lock');
        expect(result).toMatchObject({
          bTryWhileHeld: false,
          waiting: true,
          contenders: ['a', 'b'],
          afterRelease: ['b'],
          order: ['a acquired', 'a released', 'b acquired'],
        });
        // The failed non-blocking attempt used (and deleted) sequence number 1.
        const nodes = result.nodes as string[];
        expect(nodes.map((node) => node.replace(/^[0-9a-f]{32}/, '')).sort())
          .toEqual(['__lock__0000000000', '__lock__0000000002']);
      });

    it('Election: leadership passes from the first contender to the second when it resigns',
      async () => {
        expect(await suite.run('election')).toEqual({
          oneElected: true,
          twoElected: true,
          leaders: ['one', 'two'],
          contenders: ['one', 'two'],
          contendersAfter: ['two'],
        });
      });

    it('Barrier: wait times out while the node exists, returns on remove; DoubleBarrier of 2',
      async () => {
        expect(await suite.run('barrier')).toEqual({
          shortWait: false,
          released: true,
          barrierExists: false,
          entered: ['x', 'y'],
        });
      });
  });
}

export function describeGroupRecipes(suite: KazooSuite): void {
  describe(`kazoo recipes: counter, queue, party, watches (${suite.label})`, () => {
    it('Counter: +5 -2 = 3, then 2 sessions x 20 concurrent increments all land', async () => {
      expect(await suite.run('counter')).toEqual({
        afterArithmetic: 3,
        seenBySecond: 3,
        final: 43,
        rawData: '43',
        version: 42,
      });
    });

    it('Queue: priority before FIFO, empty get is None; LockingQueue get then consume',
      async () => {
        expect(await suite.run('queues')).toEqual({
          length: 3,
          order: ['urgent', 'one', 'two'],
          emptyGet: null,
          lockingGot: 'a',
          consumed: true,
          lockingRemaining: 1,
        });
      });

    it('Party: join, list and leave across 2 sessions; ShallowParty member gone on close',
      async () => {
        expect(await suite.run('party')).toEqual({
          both: ['alice', 'bob'],
          count: 2,
          afterLeave: ['alice'],
          shallowBoth: ['carol', 'dave'],
          shallowAfterClose: ['carol'],
          goneAfterClose: true,
        });
      });

    it('DataWatch: absent, CREATED v0, CHANGED v1, CHANGED v2, DELETED', async () => {
      expect((await suite.run('datawatch')).calls).toEqual([
        [null, null, null],
        ['v0', 0, 'CREATED'],
        ['v1', 1, 'CHANGED'],
        ['v2', 2, 'CHANGED'],
        [null, null, 'DELETED'],
      ]);
    });

    it('ChildrenWatch: child list and CHILD event after create a, create b, delete a',
      async () => {
        expect((await suite.run('childrenwatch')).calls).toEqual([
          [[], null],
          [['a'], 'CHILD'],
          [['a', 'b'], 'CHILD'],
          [['b'], 'CHILD'],
        ]);
      });
  });
}

export function describeNodes(suite: KazooSuite): void {
  describe(`kazoo nodes: TTL, container, paths (${suite.label})`, () => {
    it('TTL: createTTL stat and sequential name, ttl 0 is BadArguments, 400 ms node expires',
      async () => {
        const result = await suite.run('ttl');
        expect(result).toMatchObject({
          path: '/kazoo-ttl',
          version: 0,
          dataLength: 11,
          // ZooKeeper hides the TTL it packs into ephemeralOwner: clients see 0.
          ephemeralOwner: '0000000000000000',
          zeroError: 'BadArgumentsError',
          expired: true,
          longLivedExists: true,
        });
        expect(result.sequentialPath).toMatch(/^\/kazoo-ttl-seq-\d{10}$/);
      });

    it('container: survives while never used, removed once its last child is deleted',
      async () => {
        expect(await suite.run('container')).toEqual({
          path: '/kazoo-container',
          ephemeralOwner: '0000000000000000',
          dataLength: 3,
          existsWithChild: true,
          removedAfterLastChild: true,
          neverUsedStillExists: true,
        });
      });

    it('paths: ensure_path (twice), makepath create, NotEmpty, recursive delete', async () => {
      expect(await suite.run('paths')).toEqual({
        ensured: true,
        ensureAgain: true,
        made: '/kazoo-paths/x/y',
        madeData: 'deep',
        children: ['a', 'x'],
        notEmpty: 'NotEmptyError',
        goneAfterRecursive: true,
      });
    });
  });
}

export function describeRequests(suite: KazooSuite): void {
  describe(`kazoo requests: transaction, server_version (${suite.label})`, () => {
    it('transaction: create/set_data/check/delete commit; a failed check rolls back all',
      async () => {
        expect(await suite.run('transaction')).toEqual({
          committed: ['/kazoo-txn/new', 'ZnodeStat', true, true],
          data: 'updated',
          version: 1,
          children: ['new'],
          failed: ['RolledBackError', 'BadVersionError', 'RuntimeInconsistency'],
          neverExists: false,
          dataAfterFailure: 'updated',
        });
      });

    it('server_version: parsed from the envi four-letter word as 3.5 or later', async () => {
      const version = (await suite.run('server_version')).version as number[];
      expect(version).toHaveLength(3);
      expect(version[0]).toBe(3);
      expect(version[1]).toBeGreaterThanOrEqual(5);
    });
  });
}

export function describeAuthentication(suite: KazooSuite): void {
  describe(`kazoo authentication (${suite.label})`, () => {
    it('digest: auth_data and add_auth read a digest-ACL node; others get NoAuth', async () => {
      const result = await suite.run('digest');
      expect(result).toEqual({
        acls: [[31, 'digest', result.expectedId]],
        expectedId: 'alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=',
        owner: 'private',
        anonymous: 'NoAuthError',
        wrongPassword: 'NoAuthError',
        beforeAddAuth: 'NoAuthError',
        afterAddAuth: 'private',
      });
    });

    it('SASL DIGEST-MD5: bob (JAAS user) owns a sasl ACL; anonymous NoAuth; bad password fails',
      async (context) => {
        const result = await suite.run('sasl');
        if (typeof result.skipped === 'string') context.skip(`SASL case: ${result.skipped}`);
        expect(result).toEqual({
          acls: [[31, 'sasl', 'bob']],
          bobRead: 'bobs',
          anonymousRead: 'NoAuthError',
          wrongLogin: 'AuthFailedError',
        });
      });

    it('SASL DIGEST-MD5: a wrong password or unknown user fails with AuthFailed on every server',
      async (context) => {
        const result = await suite.run('sasl_failures');
        if (typeof result.skipped === 'string') context.skip(`SASL case: ${result.skipped}`);
        expect(result).toEqual({
          outcomes: {
            'server0:AuthFailedError': 6,
            'server1:AuthFailedError': 6,
            'server2:AuthFailedError': 6,
          },
          unexpected: [],
        });
      });
  });
}

export function describeQuotas(suite: KazooSuite): void {
  describe(`kazoo quotas (${suite.label})`, () => {
    it('zookeeper_stats as every session reads it after creates, sets, deletes, transactions',
      async () => {
        const same = (label: string, stats: string) => [label, stats, stats, stats];
        expect(await suite.run('quota')).toEqual({
          readings: [
            same('setquota', 'count=2,bytes=8'),
            same('create with parents', 'count=4,bytes=10'),
            same('set', 'count=4,bytes=7'),
            same('delete recursive', 'count=2,bytes=5'),
            same('transaction', 'count=3,bytes=6'),
            same('failed transaction', 'count=3,bytes=6'),
            same('ephemeral', 'count=4,bytes=9'),
            same('ephemeral owner closed', 'count=3,bytes=6'),
            same('limits deleted', 'count=3,bytes=6'),
          ],
          committed: ['/kazoo-quota/t', 'ZnodeStat'],
          failed: ['RolledBackError', 'NoNodeError'],
          statVersions: [0, 0],
          statMzxidIsCzxid: [true, true],
          statLengths: [15, 15],
          otherMissing: true,
        });
      });
  });
}
