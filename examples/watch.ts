// The client itself: a chroot, a recursive watch as an async iterator, and state events.
// Run: node dist/examples/watch.js [connectString]   (default 127.0.0.1:2181)

import { connect } from '../client/index.js';

const client = await connect(process.argv[2] ?? '127.0.0.1:2181');
client.on('state', (state) => console.log('connection', state));
await client.create('/examples-watch', '').catch(() => undefined);
const stop = AbortSignal.timeout(1_000);
const watching = (async () => {
  for await (const event of client.watch('/examples-watch', { recursive: true, signal: stop })) {
    console.log(event.type, event.path);
  }
})().catch(() => undefined);
await client.sync('/');
const { path } = await client.create('/examples-watch/a-', 'x', { mode: 'ephemeralSequential' });
await client.setData(path, 'y');
await watching;
await client.close();
