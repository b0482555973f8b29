// A read-write lock: two readers share it, the writer waits for both and excludes everyone.
// Run: node dist/examples/read-write-lock.js [connectString]   (default 127.0.0.1:2181)

import { connect } from '../client/index.js';
import { ReadWriteLock } from '../client/recipes/index.js';

const client = await connect(process.argv[2] ?? '127.0.0.1:2181');
const lock = new ReadWriteLock(client, '/examples/rw');
const readers = await Promise.all([lock.readLock.acquire(), lock.readLock.acquire()]);
console.log('two readers hold the lock together');
const writing = lock.writeLock.acquire().then((holding) => {
  console.log('writer holds the lock alone');
  return holding.release();
});
await Promise.all(readers.map((holding) => holding.release()));
await writing;
await client.close();
