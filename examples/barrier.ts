// A barrier: workers wait at it until a coordinator removes it.
// Run: node dist/examples/barrier.js [connectString]   (default 127.0.0.1:2181)

import { connect } from '../client/index.js';
import { Barrier } from '../client/recipes/index.js';

const client = await connect(process.argv[2] ?? '127.0.0.1:2181');
const barrier = new Barrier(client, '/examples/barrier');
await barrier.setBarrier();
const waiting = [1, 2].map((worker) =>
  barrier.waitOnBarrier({ timeoutMs: 10_000 }).then(() => console.log(`worker ${worker} released`)),
);
setTimeout(() => void barrier.removeBarrier(), 200);
await Promise.all(waiting);
await client.close();
