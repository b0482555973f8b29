// The part of node-zookeeper-client 1.1 (a CommonJS package without types) the interop suite
// uses: stat longs arrive as 8-byte Buffers, callbacks are error-first.

declare module 'node-zookeeper-client' {
  import type { EventEmitter } from 'node:events';

  export interface Stat {
    czxid: Buffer;
    mzxid: Buffer;
    ctime: Buffer;
    mtime: Buffer;
    version: number;
    cversion: number;
    aversion: number;
    ephemeralOwner: Buffer;
    dataLength: number;
    numChildren: number;
    pzxid: Buffer;
  }

  export class Id {
    constructor(scheme: string, id: string);
    scheme: string;
    id: string;
  }

  export class ACL {
    constructor(permission: number, id: Id);
    permission: number;
    id: Id;
    static OPEN_ACL_UNSAFE: ACL[];
    static CREATOR_ALL_ACL: ACL[];
    static READ_ACL_UNSAFE: ACL[];
  }

  export class Event {
    type: number;
    name: string;
    path: string;
    getType(): number;
    getName(): string;
    getPath(): string;
  }

  export class Exception extends Error {
    code: number;
    name: string;
    path?: string;
    getCode(): number;
  }

  export class State {
    name: string;
    code: number;
  }

  export interface OperationResult {
    type: number;
    err?: number;
    path?: string;
    stat?: Stat;
  }

  export interface Transaction {
    create(path: string, data?: Buffer | null, acls?: ACL[], mode?: number): Transaction;
    create(path: string, data: Buffer | null, mode: number): Transaction;
    check(path: string, version?: number): Transaction;
    setData(path: string, data: Buffer | null, version?: number): Transaction;
    remove(path: string, version?: number): Transaction;
    commit(callback: (error: Exception | null, results: OperationResult[]) => void): void;
  }

  type Callback<T extends unknown[]> = (error: Exception | null, ...results: T) => void;
  type Watcher = (event: Event) => void;

  export interface ClientOptions {
    sessionTimeout?: number;
    spinDelay?: number;
    retries?: number;
    sessionId?: Buffer;
    sessionPassword?: Buffer;
  }

  export interface Client extends EventEmitter {
    connect(): void;
    close(): void;
    getState(): State;
    getSessionId(): Buffer;
    getSessionPassword(): Buffer;
    getSessionTimeout(): number;
    addAuthInfo(scheme: string, auth: Buffer): void;
    create(path: string, ...rest: unknown[]): void;
    mkdirp(path: string, ...rest: unknown[]): void;
    remove(path: string, version: number, callback: Callback<[]>): void;
    removeRecursive(path: string, callback: Callback<[]>): void;
    exists(path: string, watcher: Watcher | undefined, callback: Callback<[Stat | null]>): void;
    getData(path: string, watcher: Watcher | undefined, callback: Callback<[Buffer, Stat]>): void;
    setData(path: string, data: Buffer, version: number, callback: Callback<[Stat]>): void;
    getChildren(
      path: string,
      watcher: Watcher | undefined,
      callback: Callback<[string[], Stat]>,
    ): void;
    getACL(path: string, callback: Callback<[ACL[], Stat]>): void;
    setACL(path: string, acls: ACL[], version: number, callback: Callback<[Stat]>): void;
    transaction(): Transaction;
  }

  const zookeeper: {
    createClient(connectString: string, options?: ClientOptions): Client;
    ACL: typeof ACL;
    Id: typeof Id;
    Permission: { READ: 1; WRITE: 2; CREATE: 4; DELETE: 8; ADMIN: 16; ALL: 31 };
    CreateMode: {
      PERSISTENT: 0;
      EPHEMERAL: 1;
      PERSISTENT_SEQUENTIAL: 2;
      EPHEMERAL_SEQUENTIAL: 3;
    };
    State: Record<
      'DISCONNECTED' | 'SYNC_CONNECTED' | 'AUTH_FAILED' | 'CONNECTED_READ_ONLY' | 'EXPIRED',
      State
    >;
    Event: Record<'NODE_CREATED' | 'NODE_DELETED' | 'NODE_DATA_CHANGED' |
      'NODE_CHILDREN_CHANGED', number>;
    Exception: typeof Exception & Record<string, number>;
  };
  export default zookeeper;
}
