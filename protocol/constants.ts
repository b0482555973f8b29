// ZooKeeper's wire-level numbers: opcodes, special xids, create modes, permissions, watch
// events and states. Values are ZooKeeper's own (zookeeper.jute, ZooDefs) and never change.

export const OpCode = {
  notification: 0,
  create: 1,
  delete: 2,
  exists: 3,
  getData: 4,
  setData: 5,
  getACL: 6,
  setACL: 7,
  getChildren: 8,
  sync: 9,
  ping: 11,
  getChildren2: 12,
  check: 13,
  multi: 14,
  create2: 15,
  reconfig: 16,
  checkWatches: 17,
  removeWatches: 18,
  createContainer: 19,
  deleteContainer: 20,
  createTTL: 21,
  multiRead: 22,
  auth: 100,
  setWatches: 101,
  sasl: 102,
  getEphemerals: 103,
  getAllChildrenNumber: 104,
  setWatches2: 105,
  addWatch: 106,
  whoAmI: 107,
  createSession: -10,
  closeSession: -11,
  error: -1,
} as const;
export type OpCode = (typeof OpCode)[keyof typeof OpCode];

const opNames = new Map<number, string>(Object.entries(OpCode).map(([k, v]) => [v, k]));
export function opName(type: number): string {
  return opNames.get(type) ?? `unknown(${type})`;
}

/** Reserved xids the client uses for requests outside the normal sequence. */
export const Xid = {
  notification: -1,
  ping: -2,
  auth: -4,
  setWatches: -8,
} as const;

/** CreateMode flags as sent in CreateRequest.flags. */
export const CreateFlag = {
  persistent: 0,
  ephemeral: 1,
  persistentSequential: 2,
  ephemeralSequential: 3,
  container: 4,
  persistentWithTtl: 5,
  persistentSequentialWithTtl: 6,
} as const;
export type CreateFlag = (typeof CreateFlag)[keyof typeof CreateFlag];

export interface CreateModeInfo {
  ephemeral: boolean;
  sequential: boolean;
  container: boolean;
  ttl: boolean;
}

/** Decodes a CreateRequest flags value; undefined when ZooKeeper would not recognise it. */
export function createModeOf(flags: number): CreateModeInfo | undefined {
  switch (flags) {
    case 0: return { ephemeral: false, sequential: false, container: false, ttl: false };
    case 1: return { ephemeral: true, sequential: false, container: false, ttl: false };
    case 2: return { ephemeral: false, sequential: true, container: false, ttl: false };
    case 3: return { ephemeral: true, sequential: true, container: false, ttl: false };
    case 4: return { ephemeral: false, sequential: false, container: true, ttl: false };
    case 5: return { ephemeral: false, sequential: false, container: false, ttl: true };
    case 6: return { ephemeral: false, sequential: true, container: false, ttl: true };
    default: return undefined;
  }
}

export const Perm = {
  read: 1,
  write: 2,
  create: 4,
  delete: 8,
  admin: 16,
  all: 31,
} as const;

export const EventType = {
  none: -1,
  nodeCreated: 1,
  nodeDeleted: 2,
  nodeDataChanged: 3,
  nodeChildrenChanged: 4,
  dataWatchRemoved: 5,
  childWatchRemoved: 6,
  persistentWatchRemoved: 7,
} as const;
export type EventType = (typeof EventType)[keyof typeof EventType];

export const KeeperState = {
  disconnected: 0,
  syncConnected: 3,
  authFailed: 4,
  connectedReadOnly: 5,
  saslAuthenticated: 6,
  expired: -112,
  closed: 7,
} as const;

/** RemoveWatches / CheckWatches type field (WatcherType). */
export const WatcherType = {
  children: 1,
  data: 2,
  any: 3,
} as const;

/** AddWatch mode field (AddWatchMode). */
export const AddWatchMode = {
  persistent: 0,
  persistentRecursive: 1,
} as const;

/** Largest znode payload ZooKeeper accepts by default (jute.maxbuffer = 0xfffff). */
export const juteMaxBufferDefault = 0xfffff;
