// Server settings every differential target shares: no fsync per txn (speed), and no container
// or TTL reaper, whose timer-driven deletions would make transcripts depend on timing. Also the
// ensembles (corral's, and ZooKeeper's for checking the harness) with the same settings, and
// where each session slot connects in one.

import { TestEnsemble } from '../support/ensemble.js';
import { fourLetterWord } from '../support/four-letter.js';
import { placeSessions, sessionReplicas, type Placement } from '../support/placement.js';
import { ZooKeeperEnsemble } from '../support/zookeeper-ensemble.js';
import { startZooKeeper, type ZooKeeperServer } from '../support/zookeeper.js';
import type { SessionSlot } from './generator.js';

export const reaperIntervalMs = 3_600_000;

export function startReferenceZooKeeper(): Promise<ZooKeeperServer> {
  return startZooKeeper({
    extraConfig: ['forceSync=no'],
    jvmFlags: [`-Dznode.container.checkIntervalMs=${reaperIntervalMs}`],
  });
}

/**
 * Fails unless the reference is still running and is the one answering on its port as a
 * standalone server. A port handed out by the kernel is free only until someone binds it: if
 * an ensemble started alongside takes it first, the JVM exits and `srvr` on that port reaches a
 * replica, and both sides of the comparison would run against the same tree.
 */
export async function assertStandaloneReference(server: ZooKeeperServer): Promise<void> {
  const answer = await fourLetterWord(server.port, 'srvr', 2000);
  if (server.process.exitCode !== null || !answer.includes('Mode: standalone')) {
    throw new Error(`the reference ZooKeeper on ${server.port} is not serving standalone:\n`
      + `${answer}\n${server.output().slice(-2000)}`);
  }
}

/** The same settings in zoo.cfg form for corral, with the lines startZooKeeper() always adds. */
export const corralZooCfg = [
  'tickTime=2000',
  'extendedTypesEnabled=true',
  '4lw.commands.whitelist=*',
  'admin.enableServer=false',
  'maxClientCnxns=0',
  'forceSync=no',
  `znode.container.checkIntervalMs=${reaperIntervalMs}`,
];

/**
 * The settings for an ensemble, which keeps its own tickTime (200: no op here depends on session
 * timeouts, and the runner's sessions ping) and already whitelists four-letter words.
 */
const ensembleZooCfg = corralZooCfg.filter((line) =>
  !/^(tickTime|4lw\.commands\.whitelist|admin\.enableServer)=/.test(line));

export interface StartedEnsemble {
  clientPort(id: number): number;
  placement: Placement;
  /** Whether every replica still has the role it had at the start (no election since). */
  keptRoles(): Promise<boolean>;
  destroy(): Promise<void>;
}

export async function startCorralEnsemble(): Promise<StartedEnsemble> {
  const ensemble = await TestEnsemble.create({ voters: 3, extraConfig: ensembleZooCfg });
  ensemble.startAll();
  return settle(ensemble);
}

export async function startZooKeeperEnsemble(): Promise<StartedEnsemble> {
  const ensemble = await ZooKeeperEnsemble.create({
    voters: 3,
    extraConfig: ['forceSync=no'],
    jvmFlags: [`-Dznode.container.checkIntervalMs=${reaperIntervalMs}`],
  });
  ensemble.startAll();
  return settle(ensemble);
}

async function settle(ensemble: TestEnsemble | ZooKeeperEnsemble): Promise<StartedEnsemble> {
  try {
    const placement = await placeSessions(ensemble);
    const keptRoles = async (): Promise<boolean> => {
      const modes = await Promise.all(ensemble.ids.map(async (id) =>
        [id, (await ensemble.status(id)).mode] as const));
      return modes.every(([id, mode]) =>
        mode === (id === placement.leader ? 'leader' : 'follower'));
    };
    return {
      clientPort: (id) => ensemble.clientPort(id),
      placement,
      keptRoles,
      destroy: () => ensemble.destroy(),
    };
  } catch (error) {
    await ensemble.destroy();
    throw error;
  }
}

/** Where slots A and B connect, by seed: each seed exercises one pair of roles. */
const layouts = [
  { name: 'A on a follower, B on the leader', replicas: [0, 1] },
  { name: 'A on the leader, B on a follower', replicas: [1, 0] },
  { name: 'A and B on different followers', replicas: [0, 2] },
] as const;

export function layoutName(seed: number): string {
  return layouts[seed % layouts.length]!.name;
}

export function slotPorts(ensemble: StartedEnsemble, seed: number): Record<SessionSlot, number> {
  const replicas = sessionReplicas(ensemble.placement);
  const [a, b] = layouts[seed % layouts.length]!.replicas;
  return { A: ensemble.clientPort(replicas[a]), B: ensemble.clientPort(replicas[b]) };
}
