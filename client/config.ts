// The ensemble's configuration as corral's client hands it out: what reconfig changes and what
// /zookeeper/config holds (ZooKeeper's getConfig and reconfig).
import type { ReconfigRequest } from '../protocol/requests.js';
import type { Stat } from './types.js';

/** Where ZooKeeper keeps the ensemble's configuration, outside every chroot. */
export const configPath = '/zookeeper/config';

/** What reconfig changes: server lines joining, ids leaving, or the whole membership. */
export interface ReconfigChange {
  joining?: readonly string[] | string;
  leaving?: ReadonlyArray<number | string> | string;
  newMembers?: readonly string[] | string;
  /** The configuration version the change must start from; -1 (default) for any. */
  fromConfig?: bigint | number;
}

/** The reconfig request a change becomes: each list as ZooKeeper's comma-separated string. */
export function reconfigRequest(change: ReconfigChange): ReconfigRequest {
  const list = (value: ReadonlyArray<string | number> | string | undefined) =>
    value === undefined ? null : typeof value === 'string' ? value : value.join(',');
  return {
    kind: 'reconfig',
    joiningServers: list(change.joining),
    leavingServers: list(change.leaving),
    newMembers: list(change.newMembers),
    currentConfigId: BigInt(change.fromConfig ?? -1),
  };
}

/** The configuration as /zookeeper/config holds it. */
export interface ConfigResult {
  /** `server.N=…` lines (and group/weight lines), then `version=<hex>`. */
  text: string;
  /** The configuration's version: the zxid of the reconfig that made it (0 if none yet). */
  version: bigint;
  /** The server ids it names, ascending. */
  servers: number[];
  stat: Stat;
}

export function configResultOf(data: Buffer | null, stat: Stat): ConfigResult {
  const text = data?.toString('utf8') ?? '';
  const version = /^version=([0-9a-f]+)$/m.exec(text)?.[1];
  const servers = [...text.matchAll(/^server\.(\d+)=/gm)].map((match) => Number(match[1]))
    .sort((first, second) => first - second);
  return { text, version: version === undefined ? 0n : BigInt(`0x${version}`), servers, stat };
}

