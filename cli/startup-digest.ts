// The tree digest a server's startup left for later (DataTree.restore with deferDigest): the
// snapshot's million node digests are summed after the client port opens, a slice per
// event-loop turn, so reads are answered meanwhile. Anything that reads the digest before the
// last slice (a txn applied keeps none until then; `hash`, a digest comparison) completes it
// at once, so no reader ever sees a partial sum.

import type { DataTree } from '../tree/data-tree.js';

/** Node digests summed per turn: a millisecond or two of CRC-32 each, which is what a request
 * arriving meanwhile (the first reads after a restart) waits at most. At 20,000 a turn took
 * some 9 ms on this machine. */
const nodesPerTurn = 5_000;

/** Completes `tree`'s digest in the background; resolves when it is whole. */
export function completeDigestInBackground(tree: DataTree): Promise<void> {
  return new Promise((done) => {
    const step = (): void => {
      if (tree.completeDigest(nodesPerTurn)) done();
      else setImmediate(step);
    };
    setImmediate(step);
  });
}
