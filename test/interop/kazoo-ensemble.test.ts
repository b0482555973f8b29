// Interop with kazoo 2.8 against a 3-server ensemble (one per file, started in beforeAll): each
// script's first session on a follower, its second on the leader and a third on the other
// follower, so recipes coordinate across replicas (kazoo-suite.ts).

import { kazooSuite } from './kazoo-suite.js';

kazooSuite('ensemble');
