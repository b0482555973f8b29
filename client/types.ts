// The client's public vocabulary: options, create modes, per-request options and result shapes.
// Kept apart from the client class so recipes and examples can import types without cycles.

import { CreateFlag } from '../protocol/constants.js';
import type { ACL, Stat } from '../protocol/records.js';
import type { OpResult } from '../protocol/responses.js';
import type { WatchListener } from './watches.js';

export type { ACL, Id, Stat } from '../protocol/records.js';
export type { ClientConnectionState } from '../machines/client-connection.js';

export interface ClientOptions {
  /** Requested session timeout; the server bounds it by 2–20 ticks. Default 10 000 ms. */
  sessionTimeoutMs?: number;
  /** Limit on connect() waiting for the first connection. Default 15 000 ms. */
  connectTimeoutMs?: number;
  /** Default limit per request (waiting for a connection included); none when absent. */
  requestTimeoutMs?: number;
  /** Accept a read-only server (one cut off from its quorum). Default false. */
  canBeReadOnly?: boolean;
  reconnectBackoffMsBase?: number;
  reconnectBackoffMsMax?: number;
  /**
   * Limit on close() waiting for the server to confirm closeSession; after it the socket is
   * dropped and the server expires the session. Default 1 000 ms.
   */
  closeTimeoutMs?: number;
  /** Randomness for the server shuffle and backoff jitter (tests pass a seeded one). */
  random?: () => number;
  /** Credentials sent after every handshake, e.g. [{ scheme: 'digest', auth: 'user:pw' }]. */
  authentications?: { scheme: string; auth: string | Buffer }[];
  /** Connect over TLS (a server's secureClientPort); see ClientTlsOptions. */
  tls?: ClientTlsOptions;
  /**
   * The client's own site: servers the connect string tags with it (`host:port@site`) are
   * tried first, untagged ones next, other sites last; while served outside its site the client
   * asks its site's servers every siteProbeIntervalMs and moves its session back to one.
   */
  site?: string;
  /** How often to ask own-site servers while served by another site. Default 10 000 ms. */
  siteProbeIntervalMs?: number;
}

/**
 * TLS for the client: the CAs the server's certificate must chain to (Node's default CAs when
 * absent), and a certificate and key to present (a server with ssl.clientAuth=need requires
 * them; the certificate's subject becomes the session's `x509` id). The server's name is checked
 * against its certificate: `servername` when given, else the host of the connect string.
 */
export interface ClientTlsOptions {
  ca?: string | Buffer | (string | Buffer)[];
  cert?: string | Buffer;
  key?: string | Buffer;
  servername?: string;
}

export interface RequestOptions {
  signal?: AbortSignal;
  /** Fails the request with RequestTimeoutError; a write already sent may still take effect. */
  timeoutMs?: number;
}

export type CreateMode = keyof typeof CreateFlag;

export interface CreateOptions extends RequestOptions {
  mode?: CreateMode;
  acl?: ACL[];
  /** Required for the *WithTtl modes (server needs extendedTypesEnabled). */
  ttlMs?: number;
}

export interface WatchOptions extends RequestOptions {
  /** A one-shot watch, called once with the next event for this node. */
  watch?: WatchListener;
}

export interface CreateResult {
  /** The created node's path (with its sequence suffix), chroot removed. */
  path: string;
  stat: Stat;
}

export interface DataResult {
  /** null when the node's data is null (created or set with null data, as zkCli's `create /a`
   * and the Java client's `create(path, null, …)` do); empty data is an empty Buffer. */
  data: Buffer | null;
  stat: Stat;
}

export interface ChildrenResult {
  children: string[];
  stat: Stat;
}

export interface AclResult {
  acl: ACL[];
  stat: Stat;
}

export interface ClientInfo {
  authScheme: string;
  user: string;
}

/** A multi result, paths with the chroot removed. */
export type MultiResult = OpResult;

/** The open ACL: anyone may do anything (ZooDefs.Ids.OPEN_ACL_UNSAFE). */
export const openAcl: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

/** Data as a caller may give it: a string is sent as UTF-8; null is sent as null (jute length
 * -1, like the Java client's null); omitted means empty, as it always has (and as kazoo's
 * default b''). */
export type DataInput = Buffer | string | null | undefined;

export function toBuffer(data: Buffer | string | undefined): Buffer {
  if (data === undefined) return Buffer.alloc(0);
  return typeof data === 'string' ? Buffer.from(data) : data;
}

/** The data a request carries for `data` (see DataInput). */
export function toData(data: DataInput): Buffer | null {
  return data === null ? null : toBuffer(data);
}
