// The pure half of `corral ensemble`: turning its flags into a plan (ports, roles, directories)
// and each replica's zoo.cfg text, kept free of I/O so every rule is a table test and the command
// only writes what these functions return.
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError, parseValue, valueParsers, type PeerType } from '../actors/config/config.js';
import { siteName } from '../protocol/config/values.js';

/** The `corral ensemble` options as commander hands them over. */
export interface EnsembleFlags {
  size?: string;
  basePort?: string;
  dataDir?: string;
  tickTime?: string;
  observers?: string;
  clientPortAddress?: string;
  quorumBasePort?: string;
  electionBasePort?: string;
  adminBasePort?: string;
  spares?: string;
  reconfig?: boolean;
  superPassword?: string;
  /** `--sites a,a,b`: one site per replica, in order (spares included). */
  sites?: string;
  logLevel?: string;
  logFormat?: string;
}

export interface EnsemblePlan {
  size: number;
  /** The last `observers` replicas are observers. */
  observers: number;
  /** Replicas size+1 … size+spares, started outside the membership, ready for reconfig -add. */
  spares: number;
  /** Every zoo.cfg enables reconfig, with a super user and the 3.5+ server lines. */
  reconfig: boolean;
  clientPortBase: number;
  quorumPortBase: number;
  electionPortBase: number;
  /** Each replica's admin server (127.0.0.1), which the dashboard reads. */
  adminPortBase: number;
  tickTimeMs: number;
  clientPortAddress: string;
  /** Absolute; replica i lives in `<dataDir>/replica-i`. */
  dataDir: string;
  /** Replica i's site is sites[i - 1] (site.i in every zoo.cfg); empty: no sites. */
  sites: readonly string[];
}

export interface ReplicaLayout {
  id: number;
  name: string;
  clientPort: number;
  quorumPort: number;
  electionPort: number;
  adminPort: number;
  peerType: PeerType;
  /** Its site (--sites), undefined without one. */
  site: string | undefined;
  /** Started with the members plus itself, so `reconfig -add` can make it a member. */
  spare: boolean;
  dataDir: string;
  configPath: string;
}

export const ensembleDefaults = {
  dataDir: './data',
  tickTimeMs: 2000,
  observers: 0,
  spares: 0,
  clientPortAddress: '127.0.0.1',
  /** The quorum and election port bases sit this far above the client port base. */
  quorumPortOffset: 1000,
  electionPortOffset: 2000,
  adminPortOffset: 3000,
  /** Where every replica's admin server listens: the dashboard reads them from this machine. */
  adminServerAddress: '127.0.0.1',
} as const;

/** Server ids are 1-255 in ZooKeeper, so no ensemble has more replicas than that. */
export const replicasMax = 255;
const portMax = 65535;

/** One range of ports, replica i taking base + i - 1, and the flag that decides it. */
interface PortRange {
  role: 'client' | 'quorum' | 'election' | 'admin';
  base: number;
  flag: string;
  /** How the message names the range's origin: the flag, or how it followed from --base-port. */
  origin: string;
}

/** Validates the flags into a plan; every error is a ConfigError naming the flag. */
export function planEnsemble(flags: EnsembleFlags, workingDirectory: string): EnsemblePlan {
  const size = parseValue(valueParsers.positiveInteger, '--size', flags.size ?? '');
  if (size > replicasMax) {
    throw new ConfigError(`invalid --size "${size}": at most ${replicasMax} replicas`, '--size');
  }
  const observers = flags.observers === undefined
    ? ensembleDefaults.observers
    : parseValue(valueParsers.nonNegativeInteger, '--observers', flags.observers);
  checkObservers(size, observers);
  const spares = flags.spares === undefined
    ? ensembleDefaults.spares
    : parseValue(valueParsers.nonNegativeInteger, '--spares', flags.spares);
  // Spares take server ids and ports like members, so the same limits count them.
  if (size + spares > replicasMax) {
    throw new ConfigError(`invalid --spares "${spares}": --size ${size} plus ${spares} spares ` +
      `pass ${replicasMax} replicas`, '--spares');
  }
  const clientPortBase = parseValue(valueParsers.port, '--base-port', flags.basePort ?? '');
  const ranges: PortRange[] = [
    { role: 'client', base: clientPortBase, flag: '--base-port', origin: '--base-port' },
    portRange('quorum', flags.quorumBasePort, clientPortBase),
    portRange('election', flags.electionBasePort, clientPortBase),
    portRange('admin', flags.adminBasePort, clientPortBase),
  ];
  checkPortRanges(ranges, size + spares);
  const dataDir = parseValue(valueParsers.text, '--data-dir', flags.dataDir ?? '');
  const reconfig = flags.reconfig === true || spares > 0;
  if (flags.superPassword !== undefined && !reconfig) {
    throw new ConfigError('--super-password is for reconfig: add --reconfig or --spares <count>',
      '--super-password');
  }
  return {
    size,
    observers,
    spares,
    reconfig,
    clientPortBase,
    quorumPortBase: ranges[1]?.base ?? 0,
    electionPortBase: ranges[2]?.base ?? 0,
    adminPortBase: ranges[3]?.base ?? 0,
    tickTimeMs: flags.tickTime === undefined
      ? ensembleDefaults.tickTimeMs
      : parseValue(valueParsers.positiveInteger, '--tick-time', flags.tickTime),
    clientPortAddress: flags.clientPortAddress === undefined
      ? ensembleDefaults.clientPortAddress
      : parseValue(valueParsers.text, '--client-port-address', flags.clientPortAddress),
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(workingDirectory, dataDir),
    sites: parseSites(flags.sites, size + spares),
  };
}

/** `--sites a,a,b`: exactly one valid site name per replica, spares included, in id order. */
function parseSites(text: string | undefined, replicas: number): string[] {
  if (text === undefined) return [];
  const names = text.split(',').map((name) => name.trim());
  if (names.length !== replicas) {
    throw new ConfigError(`invalid --sites "${text}": ${names.length} sites for ${replicas} ` +
      'replicas; give one per replica (spares included), in order', '--sites');
  }
  return names.map((name) => parseValue(siteName, '--sites', name));
}

/** The quorum, election or admin range: from its own flag, else a fixed offset above
 * --base-port. */
function portRange(
  role: 'quorum' | 'election' | 'admin',
  value: string | undefined,
  clientPortBase: number,
): PortRange {
  const flag = `--${role}-base-port`;
  if (value !== undefined) {
    return { role, base: parseValue(valueParsers.port, flag, value), flag, origin: flag };
  }
  const offsets = {
    quorum: ensembleDefaults.quorumPortOffset,
    election: ensembleDefaults.electionPortOffset,
    admin: ensembleDefaults.adminPortOffset,
  };
  const offset = offsets[role];
  return { role, base: clientPortBase + offset, flag: '--base-port',
    origin: `--base-port + ${offset}, as ${flag} is not given` };
}

function checkObservers(size: number, observers: number): void {
  if (observers >= size) {
    throw new ConfigError(
      `invalid --observers "${observers}": must be fewer than --size (${size})`,
      '--observers',
    );
  }
  // ZooKeeper refuses observers beside a single participant: that one would run standalone.
  if (observers > 0 && size - observers < 2) {
    throw new ConfigError(
      `invalid --observers "${observers}": observers need at least 2 participants ` +
        `(--size ${size} leaves ${size - observers})`,
      '--observers',
    );
  }
}

/** Every port of every range must exist, and no port may serve two purposes. */
function checkPortRanges(ranges: readonly PortRange[], replicas: number): void {
  const span = (range: PortRange): string => `${range.base}-${range.base + replicas - 1}`;
  for (const [index, range] of ranges.entries()) {
    const last = range.base + replicas - 1;
    if (last > portMax) {
      throw new ConfigError(
        `invalid ${range.flag}: ${range.role} ports ${span(range)} (${range.origin}) ` +
          `pass ${portMax}`,
        range.flag,
      );
    }
    const overlapping = ranges
      .slice(0, index)
      .find((earlier) => range.base <= earlier.base + replicas - 1 && earlier.base <= last);
    if (overlapping !== undefined) {
      throw new ConfigError(
        `invalid ${range.flag}: ${range.role} ports ${span(range)} (${range.origin}) ` +
          `overlap the ${overlapping.role} ports ${span(overlapping)}`,
        range.flag,
      );
    }
  }
}

/**
 * Replica i (1-based) takes the i-th port of each range; the last `observers` of the members
 * observe; the spares come after the members.
 */
export function replicaLayouts(plan: EnsemblePlan): ReplicaLayout[] {
  return Array.from({ length: plan.size + plan.spares }, (_, index) => {
    const id = index + 1;
    const dataDir = join(plan.dataDir, `replica-${id}`);
    const spare = id > plan.size;
    return {
      id,
      name: `replica-${id}`,
      clientPort: plan.clientPortBase + index,
      quorumPort: plan.quorumPortBase + index,
      electionPort: plan.electionPortBase + index,
      adminPort: plan.adminPortBase + index,
      peerType: !spare && id > plan.size - plan.observers ? 'observer' : 'participant',
      site: plan.sites[index],
      spare,
      dataDir,
      configPath: join(dataDir, 'zoo.cfg'),
    };
  });
}

/** java.util.Properties reads a backslash as an escape; a Windows path must double it. */
function propertyValue(text: string): string {
  return text.replaceAll('\\', '\\\\');
}

/** The servers a zoo.cfg names: their ids and their `server.N=…` (group., weight.) lines. */
export interface EnsembleMembership {
  ids: readonly number[];
  lines: readonly string[];
}

/** The membership the flags describe: the members 1 … size, without the spares. */
export function plannedMembership(plan: EnsemblePlan): EnsembleMembership {
  const members = replicaLayouts(plan).filter((replica) => !replica.spare);
  return {
    ids: members.map((replica) => replica.id),
    lines: [
      ...members.map((replica) => serverLine(plan, replica)),
      ...members.flatMap(siteLineOf),
    ],
  };
}

/** `site.N=NAME` for a replica with a site: beside the server lines, as membership. */
export function siteLineOf(replica: ReplicaLayout): string[] {
  return replica.site === undefined ? [] : [`site.${replica.id}=${replica.site}`];
}

export interface ZooCfgOptions {
  /** The super user's digest id; required with reconfig. */
  superDigest?: string | undefined;
  /** The membership to name (default: the planned one), e.g. one a reconfig committed. */
  membership?: EnsembleMembership | undefined;
}

/**
 * The zoo.cfg replica `self` starts with: ZooKeeper's own format, so ZooKeeper could run it.
 * With reconfig the server lines take the 3.5+ form with each client address, as `reconfig
 * -add` names them and /zookeeper/config shows them, and a replica outside the membership (a
 * spare) names the members plus itself, as ZooKeeper's guide starts a server that will join.
 */
export function replicaZooCfg(
  plan: EnsemblePlan,
  self: ReplicaLayout,
  options: ZooCfgOptions = {},
): string {
  const { superDigest, membership = plannedMembership(plan) } = options;
  if (plan.reconfig && superDigest === undefined) {
    throw new Error(`replicaZooCfg: ${self.name} needs the super digest of a reconfig ensemble`);
  }
  const outside = !membership.ids.includes(self.id);
  const lines = [
    `# Written by corral ensemble for ${self.name} of ${plan.size}` +
      `${outside ? ' (a spare, ready for reconfig -add)' : ''}; ${rewriteNote(plan)}.`,
    `tickTime=${plan.tickTimeMs}`,
    'initLimit=10',
    'syncLimit=5',
    `dataDir=${propertyValue(self.dataDir)}`,
  ];
  // With reconfig the client address is on the server line; a committed configuration drops
  // clientPort and clientPortAddress from zoo.cfg anyway (QuorumPeerConfig.editStaticConfig).
  if (!plan.reconfig) {
    lines.push(`clientPort=${self.clientPort}`, `clientPortAddress=${plan.clientPortAddress}`);
  }
  lines.push('4lw.commands.whitelist=*', 'admin.enableServer=true',
    `admin.serverAddress=${ensembleDefaults.adminServerAddress}`,
    `admin.serverPort=${self.adminPort}`);
  if (superDigest !== undefined && plan.reconfig) {
    lines.push('reconfigEnabled=true', 'standaloneEnabled=false',
      `DigestAuthenticationProvider.superDigest=${superDigest}`);
  }
  // With reconfig the server line's role decides, and a reconfig may change it.
  if (!plan.reconfig && self.peerType === 'observer') lines.push('peerType=observer');
  lines.push(...membership.lines);
  if (outside) lines.push(serverLine(plan, self), ...siteLineOf(self));
  return `${lines.join('\n')}\n`;
}

function rewriteNote(plan: EnsemblePlan): string {
  return plan.reconfig
    ? 'rewritten on every start until a reconfig names its dynamicConfigFile'
    : 'rewritten on every start';
}

/**
 * `server.N=…` as zoo.cfg holds it: `host:quorumPort:electionPort[:observer]`, or with reconfig
 * the 3.5+ form `host:quorumPort:electionPort:role;clientHost:clientPort` that `reconfig -add`
 * takes (the key and value joined by `=`, as zkCli.sh wants them).
 */
export function serverLine(plan: EnsemblePlan, replica: ReplicaLayout): string {
  const quorum = `server.${replica.id}=127.0.0.1:${replica.quorumPort}:${replica.electionPort}`;
  if (!plan.reconfig) return replica.peerType === 'observer' ? `${quorum}:observer` : quorum;
  return `${quorum}:${replica.peerType};${hostForAddress(plan.clientPortAddress)}:` +
    `${replica.clientPort}`;
}

/** An IPv6 address written beside a port needs its brackets. */
function hostForAddress(address: string): string {
  return address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
}

/** Where a client reaches the client port: loopback when the port binds every address. */
export function clientHost(clientPortAddress: string): string {
  if (clientPortAddress === '0.0.0.0') return '127.0.0.1';
  if (clientPortAddress === '::' || clientPortAddress === '[::]') return '::1';
  return clientPortAddress;
}

/**
 * ZooKeeper's connect string for the members (not the spares, which serve only once added),
 * IPv6 hosts in brackets.
 */
export function connectString(plan: EnsemblePlan): string {
  const written = hostForAddress(clientHost(plan.clientPortAddress));
  return replicaLayouts(plan)
    .filter((replica) => !replica.spare)
    .map((replica) => `${written}:${replica.clientPort}`)
    .join(',');
}

/** Every replica's admin server as the dashboard reaches it (spares included: a spare added by
 * reconfig shows as it joins). */
export function adminAddresses(plan: EnsemblePlan):
  Array<{ host: string; port: number; replica: string }> {
  return replicaLayouts(plan).map((replica) => ({ host: ensembleDefaults.adminServerAddress,
    port: replica.adminPort, replica: String(replica.id) }));
}

