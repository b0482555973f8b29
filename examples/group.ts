// Group membership: members join with ephemeral nodes; a follower sees joins and departures,
// including a member whose session ends.
// Run: node dist/examples/group.js [connectString]   (default 127.0.0.1:2181)

import { connect } from '../client/index.js';
import { Group } from '../client/recipes/index.js';

const connectString = process.argv[2] ?? '127.0.0.1:2181';
const observer = await connect(connectString);
const stop = new AbortController();
const following = new Group(observer, '/examples/group').follow(
  (members) => console.log('members:', members.join(', ') || '(none)'),
  stop.signal,
);
const worker = await connect(connectString);
await new Group(worker, '/examples/group').join('worker-1', 'host-a');
await new Promise((resolve) => setTimeout(resolve, 100));
await worker.close(); // the membership ends with the session
await new Promise((resolve) => setTimeout(resolve, 100));
stop.abort();
await following;
await observer.close();
