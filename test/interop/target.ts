// Starts the server the interop suites talk to: corral by default, or Apache ZooKeeper 3.8 when
// INTEROP_TARGET=zookeeper, with equivalent settings, so each suite is proven against the
// reference before it is pointed at corral.

import { interopTarget, startCorral } from '../support/corral.js';
import { startZooKeeper } from '../support/zookeeper.js';

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
}

export interface Target {
  port: number;
  connectString: string;
  stop(): Promise<void>;
}

const saslProvider = 'authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider';

export async function startTarget(options: TargetOptions = {}): Promise<Target> {
  const zooCfg = [...(options.zooCfg ?? [])];
  const tickTimeMs = options.tickTimeMs ?? 2000;
  if (interopTarget() === 'zookeeper') {
    const jvmFlags: string[] = [];
    if (options.jaasFile !== undefined) {
      jvmFlags.push(`-Djava.security.auth.login.config=${options.jaasFile}`);
      zooCfg.push(saslProvider);
    }
    if (options.containerCheckIntervalMs !== undefined) {
      jvmFlags.push(`-Dznode.container.checkIntervalMs=${options.containerCheckIntervalMs}`);
    }
    const server = await startZooKeeper({ extraConfig: zooCfg, jvmFlags, tickTimeMs });
    return { port: server.port, connectString: `127.0.0.1:${server.port}`, stop: server.stop };
  }
  // corral always runs from a zoo.cfg here, so both targets read the same keys.
  zooCfg.unshift(`tickTime=${tickTimeMs}`);
  if (options.jaasFile !== undefined) zooCfg.push(`jaasLoginConfig=${options.jaasFile}`);
  if (options.containerCheckIntervalMs !== undefined) {
    zooCfg.push(`znode.container.checkIntervalMs=${options.containerCheckIntervalMs}`);
  }
  const server = await startCorral({ zooCfg, tickTimeMs });
  return { port: server.port, connectString: `127.0.0.1:${server.port}`, stop: server.stop };
}
