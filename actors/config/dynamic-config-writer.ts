// The dynamic configuration written as ZooKeeper's QuorumPeer writes it when a configuration is
// committed (writeDynamicConfig, then editStaticConfig) or proposed (the `.next` file), so the
// files corral leaves start ZooKeeper, and a restarted replica, from the newest membership. Every
// file is replaced atomically (a temporary name, fsync, rename, fsync of the directory).
import {
  closeSync,
  copyFileSync,
  existsSync,
  fchmodSync,
  fsyncSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { readJavaProperties } from '../../protocol/config/java-properties.js';
import type { ServerConfig } from './server-config.js';
import { ensembleConfigText, isEnsemble } from './ensemble.js';
import {
  dynamicConfigPathFor,
  isMembershipKey,
  nextDynamicConfigPath,
  type Membership,
} from './dynamic-config.js';

/** Which zoo.cfg a committed membership rewrites, and whose own line decides its client port. */
export interface DynamicConfigTarget {
  /** The zoo.cfg path (ServerConfig.configPath); the dynamic file is written beside it. */
  configPath: string;
  /** The dynamic file zoo.cfg names now (ServerConfig.dynamicConfigFile); left in place. */
  dynamicConfigFile?: string | undefined;
  /** This replica's id: when its line in the membership has a client address, zoo.cfg's
   * clientPort and clientPortAddress are dropped, as ZooKeeper drops them. */
  myId?: number | undefined;
}

/**
 * QuorumPeerConfig.writeDynamicConfig's text: the lines of the membership as /zookeeper/config
 * shows it, sorted as strings (group., server., version, weight.), joined by newlines with none
 * after the last. The committed file leaves the version out (its name holds it); `.next` keeps it.
 */
export function dynamicConfigFileText(membership: Membership, keepVersion: boolean): string {
  const text = ensembleConfigText(
    membership.servers, membership.version, membership.quorumHierarchy, membership.sites);
  return text.split('\n')
    .filter((line) => keepVersion || !line.startsWith('version='))
    .sort()
    .join('\n');
}

/**
 * Commits `membership` to disk as QuorumPeer.setQuorumVerifier(qv, true) does: writes
 * `<configPath>.dynamic.<hex version>`, then rewrites zoo.cfg to name it (rewriteStaticConfig).
 * Earlier dynamic files are left where they are, as ZooKeeper leaves them; the `.next` file is
 * the caller's to remove (removeNextDynamicConfig) once no newer proposal is pending.
 */
export function writeDynamicConfig(
  target: DynamicConfigTarget,
  membership: Membership,
): { dynamicConfigFile: string } {
  const mode = statSync(target.configPath).mode & 0o777;
  const path = dynamicConfigPathFor(target.configPath, membership.version);
  writeFileAtomically(path, dynamicConfigFileText(membership, false), mode);
  // ZooKeeper writes the dynamic file's canonical path into zoo.cfg.
  const dynamicConfigFile = realpathSync(path);
  const self = target.myId === undefined ? undefined : membership.servers.get(target.myId);
  const staticText = readFileSync(target.configPath, 'utf8');
  const rewritten = rewriteStaticConfig(staticText, dynamicConfigFile, self?.client !== undefined);
  writeFileAtomically(target.configPath, rewritten, mode);
  return { dynamicConfigFile };
}

/** QuorumPeer.setLastSeenQuorumVerifier(qv, true): the proposed membership, with its version. */
export function writeNextDynamicConfig(configPath: string, membership: Membership): string {
  const path = nextDynamicConfigPath(configPath);
  writeFileAtomically(path, dynamicConfigFileText(membership, true),
    statSync(configPath).mode & 0o777);
  return path;
}

/**
 * Removes `<configPath>.dynamic.next`, as QuorumPeer does when it commits a membership whose
 * version is the last one seen. True when there was one.
 */
export function removeNextDynamicConfig(configPath: string): boolean {
  const path = nextDynamicConfigPath(configPath);
  if (!existsSync(path)) return false;
  unlinkSync(path);
  fsyncDirectory(dirname(path));
  return true;
}

/**
 * QuorumPeerConfig.editStaticConfig, keeping the file's order and comments (ZooKeeper rewrites
 * it from a Properties table and loses both): drops the membership keys, peerType and
 * dynamicConfigFile, and clientPort/clientPortAddress when `eraseClientAddress` (this replica's
 * line carries its client address), then names `dynamicConfigFile`: in place of the first such
 * line, else at the end.
 */
export function rewriteStaticConfig(
  text: string,
  dynamicConfigFile: string,
  eraseClientAddress: boolean,
): string {
  const physical = text.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
  const replaced = new Map<number, string>();
  let named = false;
  const pointer = `dynamicConfigFile=${escapePropertyValue(dynamicConfigFile)}`;
  for (const entry of readJavaProperties(text)) {
    const key = entry.key.trim();
    const dropped = isMembershipKey(key) || key.startsWith('peerType') ||
      key.startsWith('dynamicConfigFile') ||
      (eraseClientAddress && (key === 'clientPort' || key === 'clientPortAddress'));
    if (!dropped) continue;
    for (let line = entry.line; line <= entry.lastLine; line += 1) replaced.set(line, '');
    if (!named && key === 'dynamicConfigFile') {
      const ending = /(?:\r\n|\r|\n)$/.exec(physical[entry.lastLine - 1] ?? '')?.[0] ?? '\n';
      replaced.set(entry.line, `${pointer}${ending}`);
      named = true;
    }
  }
  const kept = physical.map((line, index) => replaced.get(index + 1) ?? line).join('');
  if (named) return kept;
  const separator = kept === '' || /[\r\n]$/.test(kept) ? '' : '\n';
  return `${kept}${separator}${pointer}\n`;
}

/** Properties.load reads a backslash as an escape and skips a value's leading whitespace. */
function escapePropertyValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/^[ \t\f]/, (space) => `\\${space}`);
}

/** True when QuorumPeerConfig.parse would back zoo.cfg up (backupStaticConfig) at startup. */
export function backsUpStaticConfig(
  config: Pick<ServerConfig, 'configPath' | 'dynamicConfigFile' | 'reconfigEnabled' | 'servers' |
    'standaloneEnabled'>,
): boolean {
  return config.configPath !== undefined && config.dynamicConfigFile === undefined &&
    config.reconfigEnabled && isEnsemble(config);
}

/**
 * QuorumPeerConfig.backupOldConfig: a static zoo.cfg (membership inline) of an ensemble with
 * reconfigEnabled is copied to `<configPath>.bak` at every startup, before the first committed
 * configuration turns it into zoo.cfg plus a dynamic file (writeDynamicConfig). Returns the copy.
 */
export function backupStaticConfig(configPath: string): string {
  const backup = `${configPath}.bak`;
  const temporary = `${backup}.tmp`;
  copyFileSync(configPath, temporary);
  const descriptor = openSync(temporary, 'r+');
  try {
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  renameSync(temporary, backup);
  fsyncDirectory(dirname(backup));
  return backup;
}

/** AtomicFileWritingIdiom: readers see the old file or the whole new one, after a crash too. */
function writeFileAtomically(path: string, text: string, mode: number): void {
  const temporary = `${path}.tmp`;
  const descriptor = openSync(temporary, 'w', mode);
  try {
    fchmodSync(descriptor, mode);
    const bytes = Buffer.from(text, 'utf8');
    // writeSync may write less than asked; each round writes at least one byte or throws.
    for (let written = 0; written < bytes.length;) {
      written += writeSync(descriptor, bytes, written, bytes.length - written);
    }
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  renameSync(temporary, path);
  fsyncDirectory(dirname(path));
}

/** A rename is durable once its directory is fsynced. */
function fsyncDirectory(directory: string): void {
  const descriptor = openSync(directory, 'r');
  try {
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
}
