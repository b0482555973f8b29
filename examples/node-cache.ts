// A node cache: a local copy of one node's data, updated by watches.
// Run: node dist/examples/node-cache.js [connectString]   (default 127.0.0.1:2181)

import { connect } from '../client/index.js';
import { NodeCache, ensurePath } from '../client/recipes/index.js';

const client = await connect(process.argv[2] ?? '127.0.0.1:2181');
await ensurePath(client, '/examples/config');
const cache = new NodeCache(client, '/examples/config');
cache.onChange((current) => console.log('config is now', current?.data?.toString() ?? '(deleted)'));
await cache.start();
await client.setData('/examples/config', 'mode=fast');
await new Promise((resolve) => setTimeout(resolve, 100));
cache.close();
await client.close();
