// A shared counter by versioned compare-and-set: three sessions add concurrently, none is lost.
// Run: node dist/examples/counter.js [connectString]   (default 127.0.0.1:2181)

import { connect } from '../client/index.js';
import { Counter } from '../client/recipes/index.js';

const connectString = process.argv[2] ?? '127.0.0.1:2181';
const clients = await Promise.all([1, 2, 3].map(() => connect(connectString)));
await Promise.all(
  clients.map(async (client) => {
    const counter = new Counter(client, '/examples/counter');
    for (let index = 0; index < 10; index++) await counter.increment();
  }),
);
console.log('value:', await new Counter(clients[0]!, '/examples/counter').get());
await Promise.all(clients.map((client) => client.close()));
