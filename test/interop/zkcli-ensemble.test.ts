// Interop with zkCli.sh 3.8 against a 3-server ensemble (one per file, started in beforeAll): the
// shells talk to a follower, which forwards their writes to the leader, and a follow-up shell
// checks on the leader that a closed session's ephemeral is gone (zkcli-suite.ts).

import { zkCliSuite } from './zkcli-suite.js';

zkCliSuite('ensemble');
