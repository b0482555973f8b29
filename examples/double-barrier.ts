// A double barrier: three members start together and finish together.
// Run: node dist/examples/double-barrier.js [connectString]   (default 127.0.0.1:2181)

import { connect } from '../client/index.js';
import { DoubleBarrier } from '../client/recipes/index.js';

const connectString = process.argv[2] ?? '127.0.0.1:2181';
const clients = await Promise.all([1, 2, 3].map(() => connect(connectString)));
await Promise.all(
  clients.map(async (client, index) => {
    const barrier = new DoubleBarrier(client, '/examples/double-barrier', clients.length);
    await barrier.enter({ timeoutMs: 10_000 });
    console.log(`member ${index} entered`);
    await new Promise((resolve) => setTimeout(resolve, 50 * index));
    await barrier.leave({ timeoutMs: 10_000 });
    console.log(`member ${index} left`);
  }),
);
await Promise.all(clients.map((client) => client.close()));
