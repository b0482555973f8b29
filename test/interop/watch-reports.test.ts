// wchp and wchc against a real Apache ZooKeeper 3.8 given the same watches in the same order:
// ZooKeeper lists paths in its hash tables' order (a HashMap of paths for wchp, each session's
// HashSet of paths for wchc), and corral lists them in that same order, the tables' growth
// included (40 paths take the table past 16 and 32 bins). Sessions themselves are listed in
// ZooKeeper by identity hash, which nothing can reproduce; they are matched by id here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCorral } from '../support/corral.js';
import { fourLetterWord } from '../support/four-letter.js';
import { startZooKeeper, zookeeperAvailable } from '../support/zookeeper.js';
import { RawClient } from '../server/raw-client.js';
import { createOp } from '../server/wide-node-fixture.js';

const paths = Array.from({ length: 40 }, (_, index) => `/wr/node-${(index * 7) % 40}`);
/** The second session's watches: a few of the same paths, and paths no node has. */
const others = ['/wr/node-3', '/wr/missing-b', '/wr/node-30', '/wr/missing-a', '/wr/node-12'];

interface Reports {
  byPath: string[];
  bySession: Map<string, string[]>;
}

/** wchp's paths in order, and wchc's paths per session label. */
async function reports(port: number, labels: Map<string, string>): Promise<Reports> {
  const wchp = await fourLetterWord(port, 'wchp');
  const byPath = wchp.split('\n').filter((line) => line.startsWith('/'));
  const bySession = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of (await fourLetterWord(port, 'wchc')).split('\n')) {
    if (line.startsWith('0x')) {
      current = [];
      bySession.set(labels.get(line) ?? line, current);
    } else if (line.startsWith('\t')) current?.push(line.slice(1));
  }
  return { byPath, bySession };
}

/** A session on a raw connection, with its id as wchc prints it. */
async function session(port: number): Promise<{ client: RawClient; hex: string }> {
  const client = await RawClient.open(port);
  const response = await client.handshake();
  if (response === 'closed') throw new Error('no session');
  return { client, hex: `0x${response.sessionId.toString(16)}` };
}

async function watchAll(port: number): Promise<Reports> {
  const { client: first, hex: firstHex } = await session(port);
  const { client: second, hex: secondHex } = await session(port);
  let xid = 1;
  expect((await first.call(xid++, createOp('/wr'))).header.err).toBe(0);
  const nodes = [...new Set(paths)].map((path) => createOp(path));
  expect((await first.call(xid++, { kind: 'multi', ops: nodes })).header.err).toBe(0);
  for (const path of paths) {
    expect((await first.call(xid++, { kind: 'getData', path, watch: true })).header.err).toBe(0);
  }
  for (const path of others) await second.call(xid++, { kind: 'exists', path, watch: true });
  const labels = new Map([[firstHex, 'first'], [secondHex, 'second']]);
  const found = await reports(port, labels);
  first.destroy();
  second.destroy();
  return found;
}

const available = zookeeperAvailable();

describe.skipIf(!available)('wchp and wchc against Apache ZooKeeper 3.8', () => {
  const servers: Array<{ port: number; stop: () => Promise<void> }> = [];
  beforeAll(async () => {
    servers.push(...await Promise.all([
      startZooKeeper(),
      startCorral({ zooCfg: ['tickTime=2000', '4lw.commands.whitelist=*'] }),
    ]));
  }, 60_000);
  afterAll(() => Promise.all(servers.map((server) => server.stop())));

  it('lists the watched paths in ZooKeeper\'s order', async () => {
    const [expected, actual] = await Promise.all(servers.map((server) => watchAll(server.port)));
    expect(expected!.byPath).toHaveLength(new Set([...paths, ...others]).size);
    expect(actual!.byPath).toEqual(expected!.byPath);
    expect(actual!.bySession).toEqual(expected!.bySession);
    // Not simply the order the watches were set.
    expect(actual!.bySession.get('first')).not.toEqual(paths);
  });
});
