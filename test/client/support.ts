// Servers for the client suites: corral (the built CLI) or Apache ZooKeeper 3.8, with the same
// settings, so one suite proves the client against both; plus small polling helpers.

import { startCorral } from '../support/corral.js';
import { startZooKeeper, zookeeperAvailable } from '../support/zookeeper.js';

export type ServerKind = 'corral' | 'zookeeper';

export interface TestServer {
  kind: ServerKind;
  port: number;
  connectString: string;
  stop(): Promise<void>;
}

/** The kinds to run a cross-server suite on: ZooKeeper only where its package is installed. */
export const serverKinds: ServerKind[] = zookeeperAvailable()
  ? ['corral', 'zookeeper']
  : ['corral'];

export async function startServer(kind: ServerKind, tickTimeMs = 2000): Promise<TestServer> {
  const zooCfg = ['extendedTypesEnabled=true'];
  const server =
    kind === 'zookeeper'
      ? await startZooKeeper({ tickTimeMs })
      : await startCorral({ zooCfg: [`tickTime=${tickTimeMs}`, ...zooCfg], tickTimeMs });
  return { kind, port: server.port, connectString: `127.0.0.1:${server.port}`, stop: server.stop };
}

/** Polls until `check` holds; fails with `what` after `timeoutMs` (bounded, never spins). */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
