// The replicas whose zoo.cfg a reconfig rewrote: their zoo.cfg names a dynamicConfigFile (the
// membership the ensemble committed), so `corral ensemble` keeps it, and the dynamic file, on its
// next start instead of writing the membership it was first started with. A replica that
// membership leaves out (reconfig -remove) would refuse it, as ZooKeeper's "My id not in the peer
// list"; it starts again as a spare of the newest membership, ready to be added back.
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError, parseZooCfg } from '../actors/config/config.js';
import { ensembleConfigText } from '../actors/config/ensemble.js';
import { readZooCfgFile } from '../actors/config/zoo-cfg-file.js';
import {
  plannedMembership,
  replicaZooCfg,
  type EnsembleMembership,
  type EnsemblePlan,
  type ReplicaLayout,
} from './ensemble-layout.js';

export interface KeptMembership extends EnsembleMembership {
  /** The dynamic file zoo.cfg names. */
  dynamicConfigFile: string;
  /** Its version (the zxid that committed it). */
  version: bigint;
  /** zoo.cfg's DigestAuthenticationProvider.superDigest, which a new password must replace. */
  superDigest: string | undefined;
}

/** The replicas whose zoo.cfg names a dynamicConfigFile, by id, with what that file holds. */
export function keptMemberships(
  replicas: readonly ReplicaLayout[],
): Map<number, KeptMembership> {
  const kept = new Map<number, KeptMembership>();
  for (const replica of replicas) {
    const membership = keptMembership(replica);
    if (membership !== undefined) kept.set(replica.id, membership);
  }
  return kept;
}

function keptMembership(replica: ReplicaLayout): KeptMembership | undefined {
  if (!existsSync(replica.configPath)) return undefined;
  try {
    const text = readFileSync(replica.configPath, 'utf8');
    const dynamicConfigFile = parseZooCfg(text, replica.configPath).config.dynamicConfigFile;
    if (dynamicConfigFile === undefined) return undefined;
    const { config } = readZooCfgFile(replica.configPath);
    const servers = config.servers ?? new Map();
    // The lines as /zookeeper/config shows them, without the version (a static zoo.cfg has none).
    const lines = ensembleConfigText(servers, 0, config.quorumHierarchy, config.sites)
      .split('\n')
      .filter((line) => !line.startsWith('version='));
    return {
      dynamicConfigFile,
      ids: [...servers.keys()].sort((first, second) => first - second),
      lines,
      version: config.configVersion ?? 0n,
      superDigest: config.superDigest,
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // The replica would refuse it as it starts; say so here, naming the replica, before any runs.
    throw new ConfigError(`${replica.name} cannot keep its zoo.cfg: ${error.message}`, error.key);
  }
}

export interface StartingConfigs {
  /** Replicas whose zoo.cfg (and dynamic file) stay as a reconfig left them. */
  kept: ReplicaLayout[];
  /** Replicas a kept membership leaves out: written again as spares of `membership`. */
  leftOut: ReplicaLayout[];
  /** The zoo.cfg text of every replica not kept. */
  written: Array<{ replica: ReplicaLayout; zooCfg: string }>;
  /** What the written files name: the newest kept membership, else the planned one. */
  membership: EnsembleMembership & { version?: bigint };
}

/** Which zoo.cfg files a start keeps and which it writes, from what `keptMemberships` found. */
export function startingConfigs(
  plan: EnsemblePlan,
  replicas: readonly ReplicaLayout[],
  found: ReadonlyMap<number, KeptMembership>,
  superDigest: string | undefined,
): StartingConfigs {
  const newest = [...found.values()].reduce<KeptMembership | undefined>(
    (best, each) => (best === undefined || each.version > best.version ? each : best), undefined);
  const membership = newest ?? plannedMembership(plan);
  const kept = replicas.filter((replica) => found.get(replica.id)?.ids.includes(replica.id));
  const leftOut = replicas.filter((replica) =>
    found.has(replica.id) && !kept.includes(replica));
  const written = replicas
    .filter((replica) => !kept.includes(replica))
    .map((replica) =>
      ({ replica, zooCfg: replicaZooCfg(plan, replica, { superDigest, membership }) }));
  return { kept, leftOut, written, membership };
}

/** The lines a start that keeps reconfigured zoo.cfg files logs (none when it keeps none). */
export function keptLines(starting: StartingConfigs): string[] {
  const { kept, leftOut, membership } = starting;
  const names = (replicas: readonly ReplicaLayout[]): string =>
    replicas.map((replica) => replica.name).join(', ');
  const servers = `servers ${membership.ids.join(',')}` +
    (membership.version === undefined ? '' : ` (version ${membership.version.toString(16)})`);
  const lines: string[] = [];
  if (kept.length > 0) {
    lines.push(`[ensemble] keeping the zoo.cfg of ${names(kept)}: each names the membership a ` +
      `reconfig committed (dynamicConfigFile); the newest: ${servers}`);
  }
  if (leftOut.length > 0) {
    lines.push(`[ensemble] ${names(leftOut)} left out of that membership by a reconfig: ` +
      `started as spares of ${servers}, ready for reconfig -add`);
  }
  return lines;
}

/**
 * A kept zoo.cfg with `superDigest` in place of the one it holds (appended when it holds none),
 * so a new --super-password reaches replicas whose membership stays as reconfig left it.
 */
export function withSuperDigest(text: string, superDigest: string): string {
  const line = `DigestAuthenticationProvider.superDigest=${superDigest}`;
  const pattern = /^[ \t]*DigestAuthenticationProvider\.superDigest[ \t]*[=:].*$/m;
  if (pattern.test(text)) return text.replace(pattern, line);
  return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${line}\n`;
}
