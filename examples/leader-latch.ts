// A leader latch: three participants join; the oldest leads until it leaves, then the next.
// Run: node dist/examples/leader-latch.js [connectString]   (default 127.0.0.1:2181)

import { connect } from '../client/index.js';
import { LeaderLatch } from '../client/recipes/index.js';

const connectString = process.argv[2] ?? '127.0.0.1:2181';
const clients = await Promise.all([1, 2, 3].map(() => connect(connectString)));
const latches = clients.map(
  (client, index) => new LeaderLatch(client, '/examples/latch', `p${index}`),
);
for (const [index, latch] of latches.entries()) {
  latch.onChange((isLeader) => console.log(`p${index} ${isLeader ? 'leads' : 'no longer leads'}`));
  await latch.start();
}
for (const latch of latches) {
  await latch.await(AbortSignal.timeout(10_000));
  await latch.close();
}
await Promise.all(clients.map((client) => client.close()));
