// The scale benchmark's recovery rows: a standalone server holding N znodes killed (SIGKILL, as
// a crash) and started again on its data dir, timed until a fresh session reads the last znode;
// and a 3-replica ensemble holding N znodes whose follower is wiped (data dir removed, myid kept)
// and restarted, timed until that follower serves the last znode, which needs the whole tree.

import type { BenchServer } from './servers.js';
import { Ensemble, EnsembleError } from './ensemble.js';
import { lastBuiltZnode, progress, waitReadable, type Measurement } from './scale-rows.js';
import { buildTree } from './tree-builder.js';

/** Restart and catch-up may take a while with millions of znodes on a loaded machine. */
const servingTimeoutMs = 600_000;
const smallDataBytes = 32;
const ensembleReplicas = 3;

/** ms from starting `server` again (after SIGKILL) until `path` is readable on it. */
export async function measureRestart(server: BenchServer, path: string): Promise<number> {
  await server.kill('SIGKILL');
  const startedAt = performance.now();
  server.respawn();
  const readableAt = await waitReadable(server.port, path, servingTimeoutMs);
  // Said as it is measured: the table comes only once every round is done.
  progress(`restarted and serving ${path} after ${(readableAt - startedAt).toFixed(0)} ms`);
  return readableAt - startedAt;
}

/** Row `follower-catchup`: a wiped follower of 3 brought back over a tree of N znodes. */
export const followerCatchupMeasurement: Measurement = {
  rows: ['follower-catchup'],
  async run(system, sizes) {
    const ensemble = await Ensemble.create(system, ensembleReplicas);
    try {
      await ensemble.start();
      const leader = await ensemble.leader();
      await buildTree(leader.clientPort, sizes.znodes, smallDataBytes);
      const follower = ensemble.members.find((member) => member !== leader);
      if (follower === undefined) throw new EnsembleError(`${system} ensemble has no follower`);
      await ensemble.kill(follower);
      ensemble.wipe(follower);
      const startedAt = performance.now();
      // The read is timed; restart() also confirms the ensemble is whole again.
      const [readableAt] = await Promise.all([
        waitReadable(follower.clientPort, lastBuiltZnode(sizes.znodes), servingTimeoutMs),
        ensemble.restart(follower),
      ]);
      const catchUpMs = readableAt - startedAt;
      progress(`${system}: wiped follower serving ${sizes.znodes} znodes after ` +
        `${catchUpMs.toFixed(0)} ms`);
      return { 'follower-catchup': { catchUpMs } };
    } finally {
      await ensemble.stop();
    }
  },
};
