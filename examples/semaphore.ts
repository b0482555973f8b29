// A semaphore with two leases shared by five workers: at most two work at once.
// Run: node dist/examples/semaphore.js [connectString]   (default 127.0.0.1:2181)

import { connect } from '../client/index.js';
import { Semaphore } from '../client/recipes/index.js';

const client = await connect(process.argv[2] ?? '127.0.0.1:2181');
const semaphore = new Semaphore(client, '/examples/semaphore', 2);
await Promise.all(
  [1, 2, 3, 4, 5].map(async (worker) => {
    const lease = await semaphore.acquire({ timeoutMs: 10_000 });
    console.log(`worker ${worker} has lease ${lease.path}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await lease.release();
  }),
);
await client.close();
