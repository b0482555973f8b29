// The lists of names of wide nodes' children as last read, kept (frozen) until those children
// change. Reading a list of 100k names walks 100k sibling links into a new array each time; a
// kept list costs nothing to hand out again, and being the same array it lets a server keep the
// bytes it was encoded to beside it (actors/server/sliced-replies.ts). NodeSlots forgets a
// slot's list whenever a child is linked under it or unlinked from it, and when it is freed.

/** Nodes with at least this many children keep their list of names once read. */
export const keptChildListMin = 4096;
/** At most this many lists are kept, and names in all ... */
const keptChildListsMax = 64;
/** ... at most this many (a pointer each: 16 MB). */
const keptChildNamesMax = 2_000_000;

export class KeptChildLists {
  /** By slot, least recently read first. */
  private readonly lists = new Map<number, readonly string[]>();
  private names = 0;

  /** The slot's kept list, or one `list` makes (then kept) when it has not changed since. */
  of(slot: number, list: () => string[]): readonly string[] {
    const kept = this.lists.get(slot);
    if (kept !== undefined) {
      // Most recently read last: the first entry is the one a full table gives up.
      this.lists.delete(slot);
      this.lists.set(slot, kept);
      return kept;
    }
    const children = Object.freeze(list());
    this.lists.set(slot, children);
    this.names += children.length;
    for (const [oldest, evicted] of this.lists) {
      if (this.lists.size <= keptChildListsMax && this.names <= keptChildNamesMax) break;
      this.lists.delete(oldest);
      this.names -= evicted.length;
    }
    return children;
  }

  /** Every slot was freed (the store emptied for a restore). */
  clear(): void {
    this.lists.clear();
    this.names = 0;
  }

  /** The slot's children changed, or the slot was freed: its kept list no longer holds. */
  forget(slot: number): void {
    if (this.lists.size === 0) return;
    const kept = this.lists.get(slot);
    if (kept === undefined) return;
    this.lists.delete(slot);
    this.names -= kept.length;
  }
}
