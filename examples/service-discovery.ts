// Service discovery: an instance registers itself (ephemeral, so it vanishes if it crashes) and
// a client looks it up.
// Run: node dist/examples/service-discovery.js [connectString]   (default 127.0.0.1:2181)

import { connect } from '../client/index.js';
import { ServiceDiscovery } from '../client/recipes/index.js';

const connectString = process.argv[2] ?? '127.0.0.1:2181';
const provider = await connect(connectString);
const registration = await new ServiceDiscovery(provider, '/examples/services').register({
  name: 'api',
  address: '127.0.0.1',
  port: 8080,
});
const consumer = await connect(connectString);
const discovery = new ServiceDiscovery(consumer, '/examples/services');
console.log('instances of api:', await discovery.instances('api'));
await registration.leave();
console.log('after leave:', await discovery.instances('api'));
await Promise.all([provider.close(), consumer.close()]);
