// A distributed FIFO queue: a producer puts five jobs, two consumers take them, each job once.
// Run: node dist/examples/queue.js [connectString]   (default 127.0.0.1:2181)

import { connect } from '../client/index.js';
import { Queue } from '../client/recipes/index.js';

const client = await connect(process.argv[2] ?? '127.0.0.1:2181');
const queue = new Queue(client, '/examples/queue');
for (let job = 1; job <= 5; job++) await queue.put(`job ${job}`);
await Promise.all(
  ['a', 'b'].map(async (consumer) => {
    for (let data = await queue.poll(); data !== null; data = await queue.poll()) {
      console.log(`consumer ${consumer} took ${data.toString()}`);
    }
  }),
);
await client.close();
