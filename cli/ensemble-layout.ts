// The pure half of `corral ensemble`: turning its flags into a plan (ports, roles, directories)
// and each replica's zoo.cfg text, kept free of I/O so every rule is a table test and the command
// only writes what these functions return.
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, parseValue, valueParsers, type PeerType } from '../actors/config/config.js';

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
  logLevel?: string;
  logFormat?: string;
}

export interface EnsemblePlan {
  size: number;
  /** The last `observers` replicas are observers. */
  observers: number;
  clientPortBase: number;
  quorumPortBase: number;
  electionPortBase: number;
  tickTimeMs: number;
  clientPortAddress: string;
  /** Absolute; replica i lives in `<dataDir>/replica-i`. */
  dataDir: string;
}

export interface ReplicaLayout {
  id: number;
  name: string;
  clientPort: number;
  quorumPort: number;
  electionPort: number;
  peerType: PeerType;
  dataDir: string;
  configPath: string;
}

export const ensembleDefaults = {
  dataDir: './data',
  tickTimeMs: 2000,
  observers: 0,
  clientPortAddress: '127.0.0.1',
  /** The quorum and election port bases sit this far above the client port base. */
  quorumPortOffset: 1000,
  electionPortOffset: 2000,
} as const;

/** Server ids are 1-255 in ZooKeeper, so no ensemble has more replicas than that. */
export const replicasMax = 255;
const portMax = 65535;

/** One range of ports, replica i taking base + i - 1, and the flag that decides it. */
interface PortRange {
  role: 'client' | 'quorum' | 'election';
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
  const clientPortBase = parseValue(valueParsers.port, '--base-port', flags.basePort ?? '');
  const ranges: PortRange[] = [
    { role: 'client', base: clientPortBase, flag: '--base-port', origin: '--base-port' },
    portRange('quorum', flags.quorumBasePort, clientPortBase),
    portRange('election', flags.electionBasePort, clientPortBase),
  ];
  checkPortRanges(ranges, size);
  const dataDir = parseValue(valueParsers.text, '--data-dir', flags.dataDir ?? '');
  return {
    size,
    observers,
    clientPortBase,
    quorumPortBase: ranges[1]?.base ?? 0,
    electionPortBase: ranges[2]?.base ?? 0,
    tickTimeMs: flags.tickTime === undefined
      ? ensembleDefaults.tickTimeMs
      : parseValue(valueParsers.positiveInteger, '--tick-time', flags.tickTime),
    clientPortAddress: flags.clientPortAddress === undefined
      ? ensembleDefaults.clientPortAddress
      : parseValue(valueParsers.text, '--client-port-address', flags.clientPortAddress),
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(workingDirectory, dataDir),
  };
}

/** The quorum or election range: from its own flag, else a fixed offset above --base-port. */
function portRange(
  role: 'quorum' | 'election',
  value: string | undefined,
  clientPortBase: number,
): PortRange {
  const flag = `--${role}-base-port`;
  if (value !== undefined) {
    return { role, base: parseValue(valueParsers.port, flag, value), flag, origin: flag };
  }
  const offset = role === 'quorum'
    ? ensembleDefaults.quorumPortOffset
    : ensembleDefaults.electionPortOffset;
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
function checkPortRanges(ranges: readonly PortRange[], size: number): void {
  const span = (range: PortRange): string => `${range.base}-${range.base + size - 1}`;
  for (const [index, range] of ranges.entries()) {
    const last = range.base + size - 1;
    if (last > portMax) {
      throw new ConfigError(
        `invalid ${range.flag}: ${range.role} ports ${span(range)} (${range.origin}) ` +
          `pass ${portMax}`,
        range.flag,
      );
    }
    const overlapping = ranges
      .slice(0, index)
      .find((earlier) => range.base <= earlier.base + size - 1 && earlier.base <= last);
    if (overlapping !== undefined) {
      throw new ConfigError(
        `invalid ${range.flag}: ${range.role} ports ${span(range)} (${range.origin}) ` +
          `overlap the ${overlapping.role} ports ${span(overlapping)}`,
        range.flag,
      );
    }
  }
}

/** Replica i (1-based) takes the i-th port of each range; the last `observers` observe. */
export function replicaLayouts(plan: EnsemblePlan): ReplicaLayout[] {
  return Array.from({ length: plan.size }, (_, index) => {
    const id = index + 1;
    const dataDir = join(plan.dataDir, `replica-${id}`);
    return {
      id,
      name: `replica-${id}`,
      clientPort: plan.clientPortBase + index,
      quorumPort: plan.quorumPortBase + index,
      electionPort: plan.electionPortBase + index,
      peerType: id > plan.size - plan.observers ? 'observer' : 'participant',
      dataDir,
      configPath: join(dataDir, 'zoo.cfg'),
    };
  });
}

/** java.util.Properties reads a backslash as an escape; a Windows path must double it. */
function propertyValue(text: string): string {
  return text.replaceAll('\\', '\\\\');
}

/** The zoo.cfg replica `self` starts with: ZooKeeper's own format, so ZooKeeper could run it. */
export function replicaZooCfg(plan: EnsemblePlan, self: ReplicaLayout): string {
  const lines = [
    `# Written by corral ensemble for ${self.name} of ${plan.size}; rewritten on every start.`,
    `tickTime=${plan.tickTimeMs}`,
    'initLimit=10',
    'syncLimit=5',
    `dataDir=${propertyValue(self.dataDir)}`,
    `clientPort=${self.clientPort}`,
    `clientPortAddress=${plan.clientPortAddress}`,
    '4lw.commands.whitelist=*',
    'admin.enableServer=false',
  ];
  if (self.peerType === 'observer') lines.push('peerType=observer');
  for (const replica of replicaLayouts(plan)) {
    const suffix = replica.peerType === 'observer' ? ':observer' : '';
    lines.push(
      `server.${replica.id}=127.0.0.1:${replica.quorumPort}:${replica.electionPort}${suffix}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Where a client reaches the client port: loopback when the port binds every address. */
export function clientHost(clientPortAddress: string): string {
  if (clientPortAddress === '0.0.0.0') return '127.0.0.1';
  if (clientPortAddress === '::' || clientPortAddress === '[::]') return '::1';
  return clientPortAddress;
}

/** ZooKeeper's connect string for the whole ensemble, IPv6 hosts in brackets. */
export function connectString(plan: EnsemblePlan): string {
  const host = clientHost(plan.clientPortAddress);
  const written = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return replicaLayouts(plan).map((replica) => `${written}:${replica.clientPort}`).join(',');
}

/**
 * The `corral` entry point each replica runs: main.js beside this module once compiled to
 * dist/cli, or the compiled one when this module runs from source (under vitest).
 */
export function replicaEntryPoint(moduleUrl: string): string {
  const compiled = new URL(moduleUrl).pathname.endsWith('.js');
  return fileURLToPath(new URL(compiled ? './main.js' : '../dist/cli/main.js', moduleUrl));
}
