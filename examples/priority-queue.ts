// A priority queue: lower numbers first, arrival order within a priority.
// Run: node dist/examples/priority-queue.js [connectString]   (default 127.0.0.1:2181)

import { connect } from '../client/index.js';
import { PriorityQueue } from '../client/recipes/index.js';

const client = await connect(process.argv[2] ?? '127.0.0.1:2181');
const queue = new PriorityQueue(client, '/examples/priority-queue');
await queue.put('routine', 5);
await queue.put('urgent', 0);
await queue.put('soon', 1);
for (let data = await queue.poll(); data !== null; data = await queue.poll()) {
  console.log(data.toString()); // urgent, soon, routine
}
await client.close();
