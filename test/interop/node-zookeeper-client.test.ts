// Interop with node-zookeeper-client 1.1 (pure JavaScript) against one standalone server: every
// operation the library offers, its error codes, watches, ephemerals and sessions (nzc-suite.ts).

import { nodeZookeeperClientSuite } from './nzc-suite.js';

nodeZookeeperClientSuite('standalone');
