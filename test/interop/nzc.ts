// Promise helpers around node-zookeeper-client's callback API for the interop suite: connect and
// close a client, run an operation, turn a failure into its ZooKeeper error code, await a watch,
// and wait for a replica to apply a write made through another.

import zookeeper, {
  type Client,
  type ClientOptions,
  type Event,
  type Exception,
} from 'node-zookeeper-client';

export { zookeeper };

const connectTimeoutMs = 10_000;

/** Connects a client; resolves once SyncConnected, rejects on expiry, auth failure or timeout. */
export async function connectClient(
  connectString: string,
  options: ClientOptions = {},
): Promise<Client> {
  const client = zookeeper.createClient(connectString, { sessionTimeout: 2000, ...options });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('client did not connect')), connectTimeoutMs);
    const settle = (error?: Error): void => {
      clearTimeout(timer);
      if (error === undefined) resolve();
      else reject(error);
    };
    client.once('connected', () => settle());
    client.once('expired', () => settle(new Error('session expired')));
    client.once('authenticationFailed', () => settle(new Error('authentication failed')));
    client.connect();
  });
  return client;
}

/** Closes a client's session and waits until its connection is gone. */
export async function closeClient(client: Client): Promise<void> {
  const state = client.getState();
  if (state === zookeeper.State.EXPIRED || state === zookeeper.State.DISCONNECTED) {
    client.close();
    return;
  }
  const disconnected = waitFor(client, 'disconnected', 5000);
  client.close();
  await disconnected;
}

/** Resolves when the client emits `name`, or rejects after `timeoutMs`. */
export async function waitFor(client: Client, name: string, timeoutMs: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${name} in ${timeoutMs} ms`)), timeoutMs);
    client.once(name, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

type Callback = (error: Exception | null, ...results: unknown[]) => void;

/** Runs one callback-style operation; resolves with its first result. */
export async function call<T>(operation: (callback: Callback) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    operation((error: Exception | null, ...results: unknown[]) => {
      if (error) reject(error);
      else resolve(results[0] as T);
    });
  });
}

/** Runs one operation and returns all of its results. */
export async function callAll<T extends unknown[]>(
  operation: (callback: Callback) => void,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    operation((error: Exception | null, ...results: unknown[]) => {
      if (error) reject(error);
      else resolve(results as T);
    });
  });
}

/** The ZooKeeper error code an operation fails with (0 if it succeeds). */
export async function errorCode(operation: (callback: Callback) => void): Promise<number> {
  try {
    await callAll(operation);
    return 0;
  } catch (error) {
    const code = (error as Exception).code;
    if (typeof code !== 'number') throw error;
    return code;
  }
}

/** A watcher that records every event it receives, with a promise for the first one. */
export function recordingWatcher(): { watcher: (event: Event) => void; events: Event[];
  first: Promise<Event> } {
  const events: Event[] = [];
  let resolveFirst: (event: Event) => void = () => undefined;
  const first = new Promise<Event>((resolve) => (resolveFirst = resolve));
  const watcher = (event: Event): void => {
    events.push(event);
    resolveFirst(event);
  };
  return { watcher, events, first };
}

/** Resolves with the promise's value, or rejects if it takes longer than `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`nothing within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const pollIntervalMs = 20;

/**
 * Re-reads until `done` holds, for at most `timeoutMs`, and returns the last value. A replica
 * applies a write made through another one a little later (ZooKeeper promises a session only its
 * own writes in order, and node-zookeeper-client has no sync), so reads on another replica
 * wait for it; against one server the first read already holds.
 */
export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  const attemptsMax = Math.ceil(timeoutMs / pollIntervalMs) + 1;
  let value = await read();
  for (let attempt = 1; attempt < attemptsMax && !done(value) && Date.now() < deadline;
    attempt++) {
    await new Promise((resolve) => setTimeout(resolve, pollIntervalMs));
    value = await read();
  }
  return value;
}
