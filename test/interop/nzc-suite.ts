// The node-zookeeper-client 1.1 interop suite, written once and run by two test files: against
// one standalone server, and against a 3-server ensemble with the main client on a follower and
// every other session on the leader or the other follower.

import type { Client, ClientOptions, Event, OperationResult, Stat } from 'node-zookeeper-client';
import { afterAll, beforeAll } from 'vitest';
import { call, callAll, closeClient, connectClient } from './nzc.js';
import {
  describeAcls, describeCreate, describeReadsAndWrites, describeTransactions,
} from './nzc-cases-nodes.js';
import {
  describeSessionExpiry, describeSessionIds, describeSessionMove, describeSessions,
  describeWatches,
} from './nzc-cases-sessions.js';
import { startTarget, type Target, type Topology } from './target.js';

/** The server, the main client, and operations on that client, shared by the cases. */
export class NzcSuite {
  target!: Target;
  client!: Client;
  /**
   * Standalone keeps the suite's historical tickTime 500; the ensemble uses 200 (TestEnsemble's
   * default, faster elections). Both allow the 1000 and 2000 ms session timeouts asked for here.
   */
  readonly tickTimeMs: number;
  /** For test names: which server the main client talks to. */
  readonly label: string;

  constructor(readonly topology: Topology) {
    this.tickTimeMs = topology === 'ensemble' ? 200 : 500;
    this.label = topology === 'ensemble' ? 'ensemble, on a follower' : 'standalone';
  }

  /** Another client on the main client's server: a follower in an ensemble. */
  connectFirst = (options?: ClientOptions): Promise<Client> =>
    connectClient(this.target.connectString, options);

  /** A client of its own on the second server: the leader in an ensemble. */
  connectSecond = (options?: ClientOptions): Promise<Client> =>
    connectClient(this.target.second.connectString, options);

  /** A client of its own on the third server: the other follower in an ensemble. */
  connectThird = (options?: ClientOptions): Promise<Client> =>
    connectClient(this.target.third.connectString, options);

  create = (path: string, ...rest: unknown[]): Promise<string> =>
    call((callback) => this.client.create(path, ...rest, callback));

  exists = (path: string, watcher?: (event: Event) => void): Promise<Stat | null> =>
    call((callback) => this.client.exists(path, watcher, callback));

  getData = (path: string, watcher?: (event: Event) => void): Promise<[Buffer, Stat]> =>
    callAll((callback) => this.client.getData(path, watcher, callback));

  setData = (path: string, data: string, version = -1): Promise<Stat> =>
    call((callback) => this.client.setData(path, Buffer.from(data), version, callback));

  commit = (transaction: ReturnType<Client['transaction']>): Promise<OperationResult[]> =>
    call((callback) => transaction.commit(callback));
}

/** Registers the whole suite in the calling test file, against one target of `topology`. */
export function nodeZookeeperClientSuite(topology: Topology): void {
  const suite = new NzcSuite(topology);

  beforeAll(async () => {
    suite.target = await startTarget({ tickTimeMs: suite.tickTimeMs, topology });
    suite.client = await connectClient(suite.target.connectString);
  });

  afterAll(async () => {
    if (suite.client !== undefined) await closeClient(suite.client);
    await suite.target?.stop();
  });

  describeCreate(suite);
  describeReadsAndWrites(suite);
  describeAcls(suite);
  describeTransactions(suite);
  describeWatches(suite);
  describeSessions(suite);
  describeSessionIds(suite);
  // What only an ensemble can get wrong: a session resumed on another replica, and expiry
  // decided by the leader for a client that pings a follower.
  if (topology === 'ensemble') {
    describeSessionMove(suite);
    describeSessionExpiry(suite);
  }
}
