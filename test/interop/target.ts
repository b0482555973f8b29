// Starts the server the interop suites talk to: corral by default, or Apache ZooKeeper 3.8 when
// INTEROP_TARGET=zookeeper, with equivalent settings, so each suite is proven against the
// reference before it is pointed at corral. Either one standalone server or a 3-server ensemble
// whose first session goes to a follower and whose second and third go to the other replicas.

import { interopTarget, startCorral } from '../support/corral.js';
import { TestEnsemble } from '../support/ensemble.js';
import { placeSessions, sessionReplicas, type ReplicatedServers } from '../support/placement.js';
import { ZooKeeperEnsemble } from '../support/zookeeper-ensemble.js';
import { startZooKeeper } from '../support/zookeeper.js';

export type Topology = 'standalone' | 'ensemble';

export interface TargetOptions {
  /** zoo.cfg lines, e.g. `4lw.commands.whitelist=*` or `extendedTypesEnabled=true`. */
  zooCfg?: string[];
  tickTimeMs?: number;
  /** A JAAS file with a `Server` section; turns on SASL authentication. */
  jaasFile?: string;
  /**
   * How often the server looks for empty containers and expired TTL nodes. ZooKeeper reads it
   * only as the system property `znode.container.checkIntervalMs` (default one minute); corral
   * gets it as the zoo.cfg key of the same name.
   */
  containerCheckIntervalMs?: number;
  /** One server (the default), or an ensemble of three voters. */
  topology?: Topology;
}

/** One server's client address. */
export interface Endpoint {
  port: number;
  connectString: string;
  /** standalone, follower or leader. */
  role: string;
}

/** The first session's server is the target's own port and connectString. */
export interface Target extends Endpoint {
  topology: Topology;
  /** A second session's server: the leader in an ensemble, the one server otherwise. */
  second: Endpoint;
  /** A third session's server: the other follower in an ensemble, the one server otherwise. */
  third: Endpoint;
  stop(): Promise<void>;
}

const saslProvider = 'authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider';
const ensembleVoters = 3;

function endpoint(port: number, role: string): Endpoint {
  return { port, connectString: `127.0.0.1:${port}`, role };
}

function standaloneTarget(port: number, stop: () => Promise<void>): Target {
  const only = endpoint(port, 'standalone');
  return { ...only, topology: 'standalone', second: only, third: only, stop };
}

/** ZooKeeper takes both settings as zoo.cfg lines and JVM system properties. */
function zookeeperSettings(options: TargetOptions): { zooCfg: string[]; jvmFlags: string[] } {
  const zooCfg = [...(options.zooCfg ?? [])];
  const jvmFlags: string[] = [];
  if (options.jaasFile !== undefined) {
    jvmFlags.push(`-Djava.security.auth.login.config=${options.jaasFile}`);
    zooCfg.push(saslProvider);
  }
  if (options.containerCheckIntervalMs !== undefined) {
    jvmFlags.push(`-Dznode.container.checkIntervalMs=${options.containerCheckIntervalMs}`);
  }
  return { zooCfg, jvmFlags };
}

/** corral always runs from a zoo.cfg here, so both targets read the same keys. */
function corralSettings(options: TargetOptions): string[] {
  const zooCfg = [...(options.zooCfg ?? [])];
  if (options.jaasFile !== undefined) zooCfg.push(`jaasLoginConfig=${options.jaasFile}`);
  if (options.containerCheckIntervalMs !== undefined) {
    zooCfg.push(`znode.container.checkIntervalMs=${options.containerCheckIntervalMs}`);
  }
  return zooCfg;
}

/** Names the roles of a started ensemble; destroys it (showing its output) if that fails. */
async function ensembleTarget(
  servers: ReplicatedServers & { output(id: number): string; destroy(): Promise<void> },
): Promise<Target> {
  try {
    const [first, second, third] = sessionReplicas(await placeSessions(servers));
    return {
      ...endpoint(servers.clientPort(first), 'follower'),
      topology: 'ensemble',
      second: endpoint(servers.clientPort(second), 'leader'),
      third: endpoint(servers.clientPort(third), 'follower'),
      stop: () => servers.destroy(),
    };
  } catch (error) {
    const outputs = servers.ids.map((id) => `--- ${id}\n${servers.output(id).slice(-2000)}`);
    await servers.destroy();
    throw new Error(`${String(error)}\n${outputs.join('\n')}`);
  }
}

export async function startTarget(options: TargetOptions = {}): Promise<Target> {
  const tickTimeMs = options.tickTimeMs ?? 2000;
  const ensemble = options.topology === 'ensemble';
  if (interopTarget() === 'zookeeper') {
    const { zooCfg, jvmFlags } = zookeeperSettings(options);
    if (ensemble) {
      const servers = await ZooKeeperEnsemble.create({
        voters: ensembleVoters, tickTimeMs, extraConfig: zooCfg, jvmFlags,
      });
      servers.startAll();
      return ensembleTarget(servers);
    }
    const server = await startZooKeeper({ extraConfig: zooCfg, jvmFlags, tickTimeMs });
    return standaloneTarget(server.port, server.stop);
  }
  const zooCfg = corralSettings(options);
  if (ensemble) {
    const servers = await TestEnsemble.create({
      voters: ensembleVoters, tickTimeMs, extraConfig: zooCfg,
    });
    servers.startAll();
    return ensembleTarget(servers);
  }
  const server = await startCorral({ zooCfg: [`tickTime=${tickTimeMs}`, ...zooCfg], tickTimeMs });
  return standaloneTarget(server.port, server.stop);
}
