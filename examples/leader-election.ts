// Leader election as Curator's LeaderSelector: each participant leads for one term in turn; a
// term is told to stop (its signal aborts) if the connection is suspended or the session lost.
// Run: node dist/examples/leader-election.js [connectString]   (default 127.0.0.1:2181)

import { connect } from '../client/index.js';
import { LeaderElection } from '../client/recipes/index.js';

const connectString = process.argv[2] ?? '127.0.0.1:2181';
const clients = await Promise.all([1, 2, 3].map(() => connect(connectString)));
let terms = 0;
const elections = clients.map(
  (client, index) =>
    new LeaderElection(client, '/examples/election', {
      requeue: false,
      takeLeadership: async (signal) => {
        console.log(`participant ${index} leads`);
        await new Promise((resolve) => setTimeout(resolve, 100));
        if (signal.aborted) console.log(`participant ${index} lost leadership early`);
        terms++;
      },
    }),
);
for (const election of elections) election.start();
for (let waited = 0; terms < clients.length && waited < 100; waited++) {
  await new Promise((resolve) => setTimeout(resolve, 100));
}
await Promise.all(elections.map((election) => election.close()));
await Promise.all(clients.map((client) => client.close()));
