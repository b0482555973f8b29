// Reads a whole tree through a real client, every node's data and stat, for tests that compare
// two servers' trees (a backup's source and the ensemble it was restored into).
import type { Client } from '../../client/index.js';
import type { Stat } from '../../protocol/records.js';

export interface NodeState {
  data: string | null;
  stat: Stat;
}

/** Every node under `root` (inclusive), a level at a time, up to 64 requests in flight;
 * bounded by `nodesMax`. */
export async function readTree(client: Client, root = '/', nodesMax = 100_000):
  Promise<Map<string, NodeState>> {
  const tree = new Map<string, NodeState>();
  let level = [root];
  while (level.length > 0) {
    if (tree.size + level.length > nodesMax) throw new Error(`over ${nodesMax} nodes`);
    const next: string[] = [];
    for (let start = 0; start < level.length; start += 64) {
      await Promise.all(level.slice(start, start + 64).map(async (path) => {
        const { data, stat } = await client.getData(path);
        tree.set(path, { data: data === null ? null : data.toString('base64'), stat });
        for (const child of await client.getChildren(path)) {
          next.push(path === '/' ? `/${child}` : `${path}/${child}`);
        }
      }));
    }
    level = next.sort();
  }
  return tree;
}
