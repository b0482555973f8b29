// A tree cache: a local copy of a subtree, kept current by one persistent recursive watch.
// Run: node dist/examples/tree-cache.js [connectString]   (default 127.0.0.1:2181)

import { connect } from '../client/index.js';
import { TreeCache, ensurePath } from '../client/recipes/index.js';

const client = await connect(process.argv[2] ?? '127.0.0.1:2181');
await ensurePath(client, '/examples/tree');
const cache = new TreeCache(client, '/examples/tree');
cache.onChange((event) => console.log(event.type, event.path));
await cache.start();
const { path } = await client.create('/examples/tree/item-', 'x', { mode: 'ephemeralSequential' });
await client.setData(path, 'y');
await new Promise((resolve) => setTimeout(resolve, 100));
console.log('cached children:', cache.children('/examples/tree'));
await cache.close();
await client.close();
