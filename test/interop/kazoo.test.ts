// Interop with kazoo 2.8 against one standalone server: recipes, TTL and container nodes, paths,
// transactions, four-letter words, digest and SASL DIGEST-MD5 authentication (kazoo-suite.ts).

import { kazooSuite } from './kazoo-suite.js';

kazooSuite('standalone');
