// Interop with Apache ZooKeeper's own shell, zkCli.sh 3.8, against one standalone server: results,
// error messages and watch events of piped command batches (zkcli-suite.ts).

import { zkCliSuite } from './zkcli-suite.js';

zkCliSuite('standalone');
