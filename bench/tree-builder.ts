// Builds a benchmark tree through a real server with node-zookeeper-client, as an application
// would: /bench/p<k>/n<i>, 1000 children per parent, many creates in flight. Shared by the
// restart and SNAP benchmarks.

import { createRequire } from 'node:module';

/** The part of node-zookeeper-client (untyped CommonJS) the benchmarks use. */
interface ZkClient {
  connect(): void;
  close(): void;
  once(event: string, listener: () => void): void;
  create(path: string, data: Buffer, callback: (error: Error | null) => void): void;
}
const zookeeper = createRequire(import.meta.url)('node-zookeeper-client') as {
  createClient(connectString: string, options: object): ZkClient;
};

/** Creates in flight at once while building the tree. */
const outstandingCreatesMax = 2000;
const childrenPerParent = 1000;

/** Creates <root>/p<k>/n<i> for i < nodes, keeping outstandingCreatesMax in flight. */
export async function buildTree(
  port: number,
  nodes: number,
  dataBytes: number,
  root = '/bench',
): Promise<void> {
  const client = zookeeper.createClient(`127.0.0.1:${port}`, { sessionTimeout: 30_000 });
  await new Promise<void>((done) => {
    client.once('connected', done);
    client.connect();
  });
  const data = Buffer.alloc(dataBytes, 'x');
  const create = (path: string) =>
    new Promise<void>((done, fail) => client.create(path, data, (e) => (e ? fail(e) : done())));
  await create(root);
  const parents = Math.ceil(nodes / childrenPerParent);
  for (let parent = 0; parent < parents; parent++) await create(`${root}/p${parent}`);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < nodes) {
      const index = next++;
      await create(`${root}/p${Math.floor(index / childrenPerParent)}/n${index}`);
    }
  };
  await Promise.all(Array.from({ length: outstandingCreatesMax }, lane));
  client.close();
}

