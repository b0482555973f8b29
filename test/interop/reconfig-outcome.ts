// What the reconfig client tests share: a 4-server ensemble of either implementation (three
// participants, server 4 running as an observer outside the membership), a client program run
// against it with the super user's password and server 4's line, and the JSON line it prints.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { ReconfigEnsemble, type Implementation } from '../support/reconfig-ensemble.js';

export const reconfigPassword = 'boss';
const superDigest =
  `super:${createHash('sha1').update(`super:${reconfigPassword}`).digest('base64')}`;

/** The program to run: its executable and the arguments before connect, password and line. */
export interface ReconfigClient {
  file: string;
  leading: string[];
  timeoutMs: number;
}

export async function reconfigOutcome(
  implementation: Implementation,
  ensembles: ReconfigEnsemble[],
  client: ReconfigClient,
): Promise<Record<string, unknown>> {
  const ensemble = await ReconfigEnsemble.create({ implementation, size: 4, superDigest });
  ensembles.push(ensemble);
  for (const id of [1, 2, 3]) ensemble.start(id, [1, 2, 3]);
  ensemble.start(4, [1, 2, 3, [4, 'observer']]);
  await ensemble.waitForLeader([1, 2, 3, 4]);
  const args = [...client.leading, ensemble.connectString([2]), reconfigPassword,
    ensemble.serverLine(4, 'observer')];
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(client.file, args, { timeout: client.timeoutMs }, (error, out, err) => {
      if (error !== null) reject(new Error(`${error.message}\n${err}`));
      else resolve(out);
    });
  });
  return JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
}

/** How the client names ZooKeeper's errors (kazoo: BadArgumentsError; Curator: BADARGUMENTS). */
export interface ReconfigErrorNames {
  badArguments: string;
  badVersion: string;
  noAuth: string;
}

/**
 * What every client sees from ZooKeeper 3.8 for the steps of the scripts: the observer added
 * (the answer's version line is its mzxid, the node's version -1), the bad input, stale version
 * and missing auth refused (also for a member id past 255), no voters left refused, the observer
 * removed.
 */
export function expectedReconfigOutcome(errors: ReconfigErrorNames): Record<string, unknown> {
  const roles = { 1: 'participant', 2: 'participant', 3: 'participant' };
  return {
    add_observer: { roles: { ...roles, 4: 'observer' }, version_is_mzxid: true, node_version: -1 },
    bad_server_line: { error: errors.badArguments },
    no_ports: { error: errors.badArguments },
    stale_from_config: { error: errors.badVersion },
    without_super: { error: errors.noAuth },
    unknown_member_without_super: { error: errors.noAuth },
    no_voters_left: { error: errors.badArguments },
    remove_observer: { roles },
    final: roles,
  };
}
