// `corral/client`: connect(connectString, options) and everything a caller needs to name —
// the Client, its result and option types, ZooKeeper's error classes and constants.

import { Client } from './client.js';
import { parseConnectString, validateSite } from './connect-string.js';
import { ConnectionHost } from './connection.js';
import { BadArgumentsError, ConnectionLossError } from '../protocol/errors.js';
import type { ClientOptions } from './types.js';

export { Client, type MultiError } from './client.js';
export type { ConnectedServer } from './connection.js';
export type { ConfigResult, ReconfigChange } from './config.js';
export { Transaction, type Operation, type ReadOperation } from './transaction.js';
export type {
  WatchEvent,
  WatchEventType,
  WatchListener,
} from './watches.js';
export * from './types.js';
export * from '../protocol/errors.js';
export { CreateFlag, EventType, KeeperState, Perm } from '../protocol/constants.js';
export {
  joinPath,
  nameOf,
  parentOf,
  parseConnectString,
  type ConnectString,
} from './connect-string.js';

/**
 * Opens a session through the servers of `connectString` (`host:port[@site][,…][/chroot]`)
 * and resolves once connected. Rejects (and gives up) after `connectTimeoutMs`, or at once if the
 * connection ends for good (expired, authFailed).
 */
export async function connect(connectString: string, options: ClientOptions = {}): Promise<Client> {
  const client = createClient(connectString, options);
  const connectTimeoutMs = options.connectTimeoutMs ?? 15_000;
  const timeout = AbortSignal.timeout(connectTimeoutMs);
  try {
    await client.whenConnected(timeout);
  } catch (error) {
    await client.close();
    throw timeout.aborted
      ? new ConnectionLossError(`no server of '${connectString}' answered in ${connectTimeoutMs}ms`)
      : error;
  }
  for (const { scheme, auth } of options.authentications ?? []) {
    await client.addAuth(scheme, auth);
  }
  return client;
}

/** The client without waiting: it starts connecting at once; use whenConnected() or events. */
export function createClient(connectString: string, options: ClientOptions = {}): Client {
  const { servers, chroot } = parseConnectString(connectString);
  if (options.site !== undefined) validateSite(options.site, 'the site option');
  const siteProbeIntervalMs = options.siteProbeIntervalMs;
  if (siteProbeIntervalMs !== undefined && !(siteProbeIntervalMs > 0)) {
    throw new BadArgumentsError(`siteProbeIntervalMs must be positive, not ${siteProbeIntervalMs}`);
  }
  let client: Client | undefined;
  const host = new ConnectionHost({
    servers,
    sessionTimeoutMs: options.sessionTimeoutMs ?? 10_000,
    canBeReadOnly: options.canBeReadOnly ?? false,
    reconnectBackoffMsBase: options.reconnectBackoffMsBase ?? 50,
    reconnectBackoffMsMax: options.reconnectBackoffMsMax ?? 2_000,
    closeTimeoutMs: options.closeTimeoutMs ?? 1_000,
    random: options.random ?? Math.random,
    ...(options.tls === undefined ? {} : { tls: options.tls }),
    ...(options.site === undefined ? {} : { site: options.site }),
    ...(siteProbeIntervalMs === undefined ? {} : { siteProbeIntervalMs }),
    registeredWatches: () => (client as Client).watchServerPaths(),
  });
  client = new Client(host, chroot, options.requestTimeoutMs);
  host.start();
  return client;
}
