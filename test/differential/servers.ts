// Server settings every differential target shares: no fsync per txn (speed), and no container
// or TTL reaper, whose timer-driven deletions would make transcripts depend on timing.

import { startZooKeeper, type ZooKeeperServer } from '../support/zookeeper.js';

export const reaperIntervalMs = 3_600_000;

export function startReferenceZooKeeper(): Promise<ZooKeeperServer> {
  return startZooKeeper({
    extraConfig: ['forceSync=no'],
    jvmFlags: [`-Dznode.container.checkIntervalMs=${reaperIntervalMs}`],
  });
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
