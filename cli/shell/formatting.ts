// What the shell prints, in zkCli.sh's words: the stat block (StatPrinter), ACL ids as the jute
// record prints them, permission letters, watch events (WatchedEvent.toString), Java's list and
// path-validation texts, and ZooKeeper errors as CliWrapperException words them.

import { javaDate, zxidHex } from '../../actors/operations/four-letter-word-reports.js';
import { ErrorCode, ZooKeeperError } from '../../protocol/errors.js';
import type { ACL, ClientConnectionState, Id, Stat } from '../../client/index.js';
import type { WatchEventType } from '../../client/watches.js';

/** StatPrinter: eleven `name = value` lines, zxids in Long.toHexString, times as Date. */
export function formatStat(stat: Stat): string[] {
  const hex = (value: number | bigint): string => `0x${zxidHex(BigInt(value))}`;
  return [
    `cZxid = ${hex(stat.czxid)}`,
    `ctime = ${javaDate(Number(stat.ctime))}`,
    `mZxid = ${hex(stat.mzxid)}`,
    `mtime = ${javaDate(Number(stat.mtime))}`,
    `pZxid = ${hex(stat.pzxid)}`,
    `cversion = ${stat.cversion}`,
    `dataVersion = ${stat.version}`,
    `aclVersion = ${stat.aversion}`,
    `ephemeralOwner = ${hex(stat.ephemeralOwner)}`,
    `dataLength = ${stat.dataLength}`,
    `numChildren = ${stat.numChildren}`,
  ];
}

/** jute's CSV string escaping (Utils.toCSVString), which Id.toString uses. */
function csvString(text: string): string {
  const escapes: Record<string, string> = {
    '\u0000': '%00', '\n': '%0A', '\r': '%0D', ',': '%2C', '}': '%7D', '%': '%25',
  };
  return `'${[...text].map((char) => escapes[char] ?? char).join('')}`;
}

/** Id.toString as getAcl prints it: `'world,'anyone` and a line break. */
export function formatAclId(id: Id): string {
  return `${csvString(id.scheme)},${csvString(id.id)}\n`;
}

const permLetters: [number, string][] = [[4, 'c'], [8, 'd'], [1, 'r'], [2, 'w'], [16, 'a']];

/** ZKUtil.getPermString: letters in the order c d r w a. */
export function permString(perms: number): string {
  return permLetters.filter(([bit]) => (perms & bit) !== 0).map(([, letter]) => letter).join('');
}

/** getAcl's lines for one entry: the id, then `: cdrwa` (the id ends in a line break). */
export function formatAcl(acl: ACL): string {
  return `${formatAclId(acl.id)}: ${permString(acl.perms)}`;
}

/**
 * AclParser.parse: `scheme:id:perms` entries split on commas (the id may hold colons); an entry
 * without two colons and an unknown perm letter are reported on stderr and skipped.
 */
export function parseAcl(text: string, warn: (line: string) => void): ACL[] {
  const acl: ACL[] = [];
  for (const entry of text.split(',')) {
    const first = entry.indexOf(':');
    const last = entry.lastIndexOf(':');
    if (first === -1 || first === last) {
      warn(`${entry} does not have the form scheme:id:perm`);
      continue;
    }
    let perms = 0;
    for (const letter of entry.slice(last + 1)) {
      const bit = permLetters.find(([, name]) => name === letter)?.[0];
      if (bit === undefined) warn(`Unknown perm type: ${letter}`);
      else perms |= bit;
    }
    acl.push({ perms, id: { scheme: entry.slice(0, first), id: entry.slice(first + 1, last) } });
  }
  return acl;
}

const eventTypeNames: Record<WatchEventType | 'none', string> = {
  none: 'None',
  nodeCreated: 'NodeCreated',
  nodeDeleted: 'NodeDeleted',
  nodeDataChanged: 'NodeDataChanged',
  nodeChildrenChanged: 'NodeChildrenChanged',
  dataWatchRemoved: 'DataWatchRemoved',
  childWatchRemoved: 'ChildWatchRemoved',
  persistentWatchRemoved: 'PersistentWatchRemoved',
};

/** Watcher.Event.KeeperState's name for a connection state ('' where none is reported). */
export function keeperStateName(state: ClientConnectionState): string {
  switch (state) {
    case 'connected':
      return 'SyncConnected';
    case 'connectedReadOnly':
      return 'ConnectedReadOnly';
    case 'suspended':
      return 'Disconnected';
    case 'expired':
      return 'Expired';
    case 'closed':
      return 'Closed';
    case 'authFailed':
      return 'AuthFailed';
    case 'connecting':
      return '';
  }
}

/** ZooKeeper.States as the prompt shows it. */
export function promptStateName(state: ClientConnectionState): string {
  switch (state) {
    case 'connected':
      return 'CONNECTED';
    case 'connectedReadOnly':
      return 'CONNECTEDREADONLY';
    case 'connecting':
    case 'suspended':
      return 'CONNECTING';
    case 'authFailed':
      return 'AUTH_FAILED';
    case 'expired':
    case 'closed':
      return 'CLOSED';
  }
}

/** WatchedEvent.toString: `WatchedEvent state:SyncConnected type:NodeDataChanged path:/a`. */
export function formatWatchedEvent(
  state: string,
  type: WatchEventType | 'none',
  path: string | null,
): string {
  return `WatchedEvent state:${state} type:${eventTypeNames[type]} path:${path ?? 'null'}`;
}

/** AbstractCollection.toString: `[a, b]`. */
export function javaList(items: readonly (string | number)[]): string {
  return `[${items.join(', ')}]`;
}

/** PathUtils.validatePath's complaint about a path, or undefined when it is valid. */
export function pathProblem(path: string, sequential = false): string | undefined {
  const checked = sequential ? `${path}1` : path;
  if (checked.length === 0) return 'Path length must be > 0';
  if (!checked.startsWith('/')) return 'Path must start with / character';
  if (checked.length === 1) return undefined;
  if (checked.endsWith('/')) return 'Path must not end with / character';
  const reason = pathCharacterProblem(checked);
  return reason === undefined ? undefined : `Invalid path string "${checked}" caused by ${reason}`;
}

function pathCharacterProblem(path: string): string | undefined {
  for (let index = 1; index < path.length; index += 1) {
    const char = path.charCodeAt(index);
    const last = path.charAt(index - 1);
    const segmentEnds = index + 1 === path.length || path.charAt(index + 1) === '/';
    if (char === 0) return `null character not allowed @${index}`;
    if (path.charAt(index) === '/' && last === '/') return `empty node name specified @${index}`;
    if (path.charAt(index) === '.' && last === '.') {
      if (path.charAt(index - 2) === '/' && segmentEnds) {
        return `relative paths not allowed @${index}`;
      }
    } else if (path.charAt(index) === '.') {
      if (last === '/' && segmentEnds) return `relative paths not allowed @${index}`;
    } else if ((char > 0 && char <= 0x1f) || (char >= 0x7f && char <= 0x9f) ||
      (char >= 0xd800 && char <= 0xf8ff) || char >= 0xfff0) {
      return `invalid character @${index}`;
    }
  }
  return undefined;
}

/** KeeperException.getCodeMessage, for errors zkCli prints as `KeeperErrorCode = …`. */
const codeMessages = new Map<number, string>([
  [ErrorCode.systemError, 'SystemError'],
  [ErrorCode.runtimeInconsistency, 'RuntimeInconsistency'],
  [ErrorCode.dataInconsistency, 'DataInconsistency'],
  [ErrorCode.connectionLoss, 'ConnectionLoss'],
  // The shell's requests give up after the session timeout where the Java client's fail with
  // ConnectionLoss when its connect attempt does: the same words for the same situation.
  [ErrorCode.requestTimeout, 'ConnectionLoss'],
  [ErrorCode.marshallingError, 'MarshallingError'],
  [ErrorCode.newConfigNoQuorum, 'NewConfigNoQuorum'],
  [ErrorCode.reconfigInProgress, 'ReconfigInProgress'],
  [ErrorCode.unimplemented, 'Unimplemented'],
  [ErrorCode.operationTimeout, 'OperationTimeout'],
  [ErrorCode.badArguments, 'BadArguments'],
  [ErrorCode.apiError, 'APIError'],
  [ErrorCode.noNode, 'NoNode'],
  [ErrorCode.noAuth, 'NoAuth'],
  [ErrorCode.badVersion, 'BadVersion'],
  [ErrorCode.noChildrenForEphemerals, 'NoChildrenForEphemerals'],
  [ErrorCode.nodeExists, 'NodeExists'],
  [ErrorCode.invalidACL, 'InvalidACL'],
  [ErrorCode.authFailed, 'AuthFailed'],
  [ErrorCode.notEmpty, 'Directory not empty'],
  [ErrorCode.sessionExpired, 'Session expired'],
  [ErrorCode.invalidCallback, 'Invalid callback'],
  [ErrorCode.sessionMoved, 'Session moved'],
  [ErrorCode.notReadOnly, 'Not a read-only call'],
  [ErrorCode.ephemeralOnLocalSession, 'Ephemeral node on local session'],
  [ErrorCode.noWatcher, 'No such watcher'],
  [ErrorCode.reconfigDisabled, 'Reconfig is disabled'],
  [ErrorCode.sessionClosedRequireSaslAuth,
    'Session closed because client failed to authenticate'],
  [ErrorCode.quotaExceeded, 'Quota has exceeded'],
  [ErrorCode.throttled, 'Op throttled due to high load'],
]);

/** CliWrapperException's message for a ZooKeeper error (KeeperException's for the rest). */
export function keeperErrorMessage(error: ZooKeeperError, fallbackPath?: string): string {
  const knownPath = error.path ?? fallbackPath;
  // Java concatenates a missing path as "null" (reconfig's errors carry none).
  const path = knownPath ?? 'null';
  switch (error.code) {
    case ErrorCode.noNode:
      return `Node does not exist: ${path}`;
    case ErrorCode.noChildrenForEphemerals:
      return `Ephemerals cannot have children: ${path}`;
    case ErrorCode.nodeExists:
      return `Node already exists: ${path}`;
    case ErrorCode.notEmpty:
      return `Node not empty: ${path}`;
    case ErrorCode.notReadOnly:
      return `Not a read-only call: ${path}`;
    case ErrorCode.invalidACL:
      return `Acl is not valid : ${path}`;
    case ErrorCode.noAuth:
      return `Insufficient permission : ${path}`;
    case ErrorCode.badArguments:
      return `Arguments are not valid : ${path}`;
    case ErrorCode.badVersion:
      return `version No is not valid : ${path}`;
    case ErrorCode.reconfigInProgress:
      return 'Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)';
    case ErrorCode.newConfigNoQuorum:
      return 'No quorum of new config is connected and up-to-date with the leader of last ' +
        'commmitted config - try invoking reconfiguration after new servers are connected and ' +
        'synced';
    case ErrorCode.quotaExceeded:
      return `Quota has exceeded : ${path}`;
    default: {
      const words = codeMessages.get(error.code) ?? `Unknown error ${error.code}`;
      return `KeeperErrorCode = ${words}${knownPath === undefined ? '' : ` for ${knownPath}`}`;
    }
  }
}

export { ZooKeeperError };
