// What the backup and restore tests share: the corral CLI run as a process, a write load on a
// real client, the source tree reconstructed as it stood at a backup's zxid from the load's
// acknowledged writes, and trees read whole through a real client for comparison.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { connect, type Client } from '../../client/index.js';
import type { Stat } from '../../protocol/records.js';
import { corralMain } from './corral.js';
import { readTree, type NodeState } from './tree-walk.js';

const run = promisify(execFile);
/** The load's bound: it stops by then whatever `stop` says. */
const loadWritesMax = 3000;

export interface Write {
  path: string;
  data: Buffer;
  stat: Stat;
}

/** Runs the corral CLI (dist/) as a process; its exit code and output. */
export async function corral(args: string[]):
  Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [corralMain, ...args],
      { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

/** Creates and overwrites nodes under /load from 4 workers until `stop` says so. */
export async function writeLoad(client: Client, stop: (written: number) => boolean):
  Promise<Write[]> {
  const writes: Write[] = [];
  const worker = async (id: number): Promise<void> => {
    const mine: string[] = [];
    for (let step = 0; !stop(writes.length) && writes.length < loadWritesMax; step++) {
      const data = Buffer.from(`${id}:${step}:${Math.random()}`);
      if (step % 3 === 0 || mine.length === 0) {
        const path = `/load/w${id}-${step}`;
        const { stat } = await client.create(path, data);
        mine.push(path);
        writes.push({ path, data, stat });
      } else {
        const path = mine[step % mine.length]!;
        writes.push({ path, data, stat: await client.setData(path, data) });
      }
    }
  };
  await Promise.all([0, 1, 2, 3].map(worker));
  return writes;
}

/** The source's tree as it was at `zxid`: what the load wrote by then, /load's child figures
 * as they stood, and every other node as it is now (the load touches nothing else). */
export function treeAt(now: Map<string, NodeState>, writes: Write[], zxid: number):
  Map<string, NodeState> {
  const tree = new Map([...now].filter(([path]) => !path.startsWith('/load')));
  const applied = writes.filter((write) => write.stat.mzxid <= zxid)
    .sort((left, right) => left.stat.mzxid - right.stat.mzxid);
  for (const { path, data, stat } of applied) {
    tree.set(path, { data: data.toString('base64'), stat });
  }
  const children = [...tree.keys()].filter((path) => path.startsWith('/load/'));
  const load = now.get('/load')!;
  const pzxid = Math.max(load.stat.czxid, ...children.map((path) => tree.get(path)!.stat.czxid));
  tree.set('/load', {
    data: load.data,
    stat: { ...load.stat, cversion: children.length, numChildren: children.length, pzxid },
  });
  return tree;
}

/** A tree as a sorted object, without /zookeeper/config (each ensemble keeps its own). */
export function comparable(tree: Map<string, NodeState>): Record<string, NodeState> {
  return Object.fromEntries([...tree].filter(([path]) => path !== '/zookeeper/config')
    .sort(([left], [right]) => (left < right ? -1 : left > right ? 1 : 0)));
}

export async function treeOf(port: number): Promise<Map<string, NodeState>> {
  const client = await connect(`127.0.0.1:${port}`);
  try {
    await client.sync('/');
    return await readTree(client);
  } finally {
    await client.close();
  }
}

