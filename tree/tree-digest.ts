// ZooKeeper's tree digest (NodeHashMapImpl) over a node store's slots: each node's digest is
// taken out of the sum before the node changes or goes and put back after, so the sum covers the
// tree as it is; a restore at startup may defer its nodes' digests, summed later in steps.

import { digestUnknown, noSlot } from './node-columns.js';
import { AdditiveHash, nodeDigest, type DigestFields } from './node-digest.js';
import type { NodeSlots } from './node-slots.js';
import { Znode } from './znode.js';

export class TreeDigest {
  /** ZooKeeper's tree digest (NodeHashMapImpl): every node's digest taken out before it
   * changes and put back after, so it always covers the tree as it is. */
  private readonly digestSum = new AdditiveHash();
  /**
   * A restore at startup may leave its nodes' digests out of the sum, to be added after the
   * server serves (completeDigests): 1 for a slot whose digest is not in digestSum yet. While
   * any is, digestSum is the sum over the other nodes; `digest` completes it first.
   */
  private pendingDigests: Uint8Array | undefined;
  private pendingDigestCount = 0;
  /** Where completeDigests goes on. */
  private pendingDigestCursor = 0;
  /** A restore in progress leaves digests out (beginDeferredDigests). */
  private deferringDigests = false;

  constructor(
    private readonly slots: NodeSlots,
    /** ZooKeeper's digest.enabled: when false no digest is computed. */
    readonly digestEnabled: boolean,
  ) {}

  /** The tree digest (0 when digests are off), as ZooKeeper's DataTree.getTreeDigest. */
  get value(): bigint {
    this.completeDigests(Number.POSITIVE_INFINITY);
    return this.digestSum.value();
  }

  /** True while some node's digest is not yet in the tree's (a deferred restore's). */
  get digestPending(): boolean {
    return this.pendingDigests !== undefined;
  }

  /** The nodes restored from now until endDeferredDigests are left out of the digest sum. */
  beginDeferredDigests(): void {
    this.deferringDigests = this.digestEnabled;
  }

  /** Marks every node restored since beginDeferredDigests as pending (see pendingDigests). */
  endDeferredDigests(): void {
    if (!this.deferringDigests) return;
    this.deferringDigests = false;
    const pending = new Uint8Array(this.slots.columns.digestCache.length);
    let count = 0;
    for (const slot of this.slots.slotsInCreationOrder()) {
      pending[slot] = 1;
      count++;
    }
    if (count === 0) return;
    this.pendingDigests = pending;
    this.pendingDigestCount = count;
    this.pendingDigestCursor = 0;
  }

  /**
   * Adds up to `nodes` pending digests to the sum; true once none is pending. Nodes are taken in
   * slot order; a restore puts siblings next to each other, so a parent's path is mostly reused.
   */
  completeDigests(nodes: number): boolean {
    if (this.pendingDigests === undefined) return true;
    const { parent, names, digestCache } = this.slots.columns;
    let parentSlot = noSlot;
    let parentPath = '';
    let done = 0;
    let slot = this.pendingDigestCursor;
    // A slot behind the cursor may be pending again (changed since): one wrap finds it.
    let wrapped = false;
    for (; done < nodes && this.pendingDigestCount > 0; slot++) {
      if (slot >= this.pendingDigests!.length) {
        if (wrapped) break;
        wrapped = true;
        slot = -1;
        continue;
      }
      if (this.pendingDigests![slot] === 0) continue;
      const up = parent[slot]!;
      let path: string;
      if (up === noSlot) path = '/';
      else {
        if (up !== parentSlot) {
          parentSlot = up;
          parentPath = this.slots.pathOf(up);
        }
        path = parentPath === '/' ? `/${names[slot]!}` : `${parentPath}/${names[slot]!}`;
      }
      const digest = nodeDigest(path, new Znode(this.slots, slot));
      digestCache[slot] = digest;
      this.digestSum.add(digest);
      this.pendingDigests![slot] = 0;
      this.pendingDigestCount--;
      done++;
    }
    this.pendingDigestCursor = slot;
    if (this.pendingDigestCount > 0) return false;
    this.pendingDigests = undefined;
    this.pendingDigestCount = 0;
    return true;
  }

  /** A restored node's digest, from its record (it holds every field the digest covers: no
   * handle, and no view of the slab). A deferred restore leaves it out of the sum
   * (endDeferredDigests marks it pending afterwards). */
  restored(slot: number, path: string, fields: DigestFields): void {
    if (!this.digestEnabled || this.deferringDigests) return;
    const digest = nodeDigest(path, fields);
    this.slots.columns.digestCache[slot] = digest;
    this.digestSum.add(digest);
  }

  /** The store was emptied (a snapshot restore begins): no node, no digest pending. */
  clear(): void {
    this.digestSum.clear();
    this.pendingDigests = undefined;
    this.pendingDigestCount = 0;
    this.deferringDigests = false;
  }

  /** Takes a slot's digest out of the tree's, before it changes or goes. */
  digestOut(path: string, slot: number): void {
    if (!this.digestEnabled) return;
    const pending = this.pendingDigests;
    if (pending !== undefined && pending[slot] === 1) {
      // Never added: nothing to take out. Its digestIn (if it stays) adds the new one.
      pending[slot] = 0;
      this.pendingDigestCount--;
      return;
    }
    const cache = this.slots.columns.digestCache;
    if (cache[slot] === digestUnknown) cache[slot] = nodeDigest(path, new Znode(this.slots, slot));
    this.digestSum.remove(cache[slot]!);
  }

  /** Puts a slot's digest, computed afresh, into the tree's, after it changed or came. While
   * a deferred restore's digests are pending, the slot joins them instead: a replayed tail
   * changes the same parents over and over, and completeDigests hashes each once. */
  digestIn(path: string, slot: number): void {
    if (!this.digestEnabled) return;
    let pending = this.pendingDigests;
    if (pending !== undefined) {
      if (slot >= pending.length) {
        const grown = new Uint8Array(this.slots.columns.digestCache.length);
        grown.set(pending);
        this.pendingDigests = pending = grown;
      }
      // digestOut took it out (or it is new): it is not in the sum until completed.
      if (pending[slot] === 0) {
        pending[slot] = 1;
        this.pendingDigestCount++;
      }
      return;
    }
    const digest = nodeDigest(path, new Znode(this.slots, slot));
    this.slots.columns.digestCache[slot] = digest;
    this.digestSum.add(digest);
  }
}
