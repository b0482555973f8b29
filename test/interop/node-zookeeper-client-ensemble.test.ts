// Interop with node-zookeeper-client 1.1 against a 3-server ensemble (one per file, started in
// beforeAll): the main client on a follower, so its writes are forwarded to the leader, and the
// cases' other sessions on the leader and the other follower (nzc-suite.ts).

import { nodeZookeeperClientSuite } from './nzc-suite.js';

nodeZookeeperClientSuite('ensemble');
