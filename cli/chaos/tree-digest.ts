// Reads a replica's whole tree through a real client connected to that replica alone: every
// znode's path, data and stat, in a canonical order, so trees on different replicas at the same
// zxid can be compared for equality.

import { createHash } from 'node:crypto';
import { connect } from '../../client/index.js';
import type { ReplicaProcesses } from './replica-processes.js';

const nodesMax = 100_000;

export interface TreeDump {
  nodes: number;
  digest: string;
  paths: string[];
  /** Each node's data as UTF-8. */
  data: Map<string, string>;
}

export async function dumpTree(port: number, host = '127.0.0.1'): Promise<TreeDump> {
  const client = await connect(`${host}:${port}`, { sessionTimeoutMs: 10_000 });
  try {
    const hash = createHash('sha256');
    const paths: string[] = [];
    const contents = new Map<string, string>();
    const pending = ['/'];
    while (pending.length > 0 && paths.length < nodesMax) {
      const path = pending.shift()!;
      // Each replica writes /zookeeper/config itself, at its own startup time (not replicated);
      // ZooKeeper's digests leave the /zookeeper subtree out as well.
      if (path === '/zookeeper/config') continue;
      const { data, stat } = await client.getData(path);
      const { children } = await client.getChildren2(path);
      paths.push(path);
      contents.set(path, data?.toString('utf8') ?? '');
      // Everything a replica replicates (null data apart from empty); nothing about the session
      // reading it.
      const record = [path, data === null ? null : data.toString('base64'), stat.czxid,
        stat.mzxid, stat.pzxid, stat.ctime, stat.mtime, stat.version, stat.cversion, stat.aversion,
        String(stat.ephemeralOwner), stat.dataLength, stat.numChildren];
      hash.update(JSON.stringify(record));
      for (const child of [...children].sort()) {
        pending.push(path === '/' ? `/${child}` : `${path}/${child}`);
      }
    }
    return { nodes: paths.length, digest: hash.digest('hex'), paths, data: contents };
  } finally {
    await client.close();
  }
}

/** Every replica's tree, read through its own client port: identical, or where they differ. */
export async function compareTrees(
  replicas: ReplicaProcesses,
): Promise<{ identical: boolean; nodes: number; detail: string }> {
  const dumps = await Promise.all(
    replicas.ids.map(async (id) => ({
      id,
      dump: await dumpTree(replicas.ports.get(id)!.client, replicas.host),
    })),
  );
  const first = dumps[0]!;
  const differing = dumps.filter(({ dump }) => dump.digest !== first.dump.digest);
  const detail = differing
    .map(({ id, dump }) => `replica ${id}: ${dump.nodes} nodes vs ${first.dump.nodes}`)
    .join('; ');
  return { identical: differing.length === 0, nodes: first.dump.nodes, detail };
}
