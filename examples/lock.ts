// A fair distributed lock: three sessions take turns in a critical section, one at a time.
// Run: node dist/examples/lock.js [connectString]   (default 127.0.0.1:2181)

import { connect } from '../client/index.js';
import { Lock } from '../client/recipes/index.js';

const connectString = process.argv[2] ?? '127.0.0.1:2181';
const clients = await Promise.all([1, 2, 3].map(() => connect(connectString)));
await Promise.all(
  clients.map(async (client, index) => {
    const holding = await new Lock(client, '/examples/lock').acquire({ timeoutMs: 10_000 });
    holding.onLost(() => console.log(`worker ${index}: lock lost with the session`));
    console.log(`worker ${index} holds ${holding.path}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await holding.release();
  }),
);
await Promise.all(clients.map((client) => client.close()));
