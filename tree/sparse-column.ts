// A node column that most slots leave at a default: mzxid and pzxid equal to czxid and mtime to
// ctime until the node changes, versions 0, no children, no owner. Most znodes of a large tree
// are leaves never written again (registrations, queue items, locks), so the column keeps a
// page of slots only once one of them differs from its default; a million untouched leaves then
// cost nothing in it. A page once made stays (a slot's later writes go to it).

/** Slots per page: small enough that a few written nodes make few pages. */
const pageBits = 10;
export const sparsePageSlots = 1 << pageBits;
const slotInPage = sparsePageSlots - 1;

type Values = Float64Array | Int32Array;

export class SparseColumn {
  private pages: Array<Values | undefined> = [];

  /**
   * @param makePage a zeroed page of `sparsePageSlots` values, of the column's width.
   * @param constant the default, when no base column is given.
   * @param base the column a slot's default is read from (mzxid's is czxid's value), read
   *   anew on each call since a column is replaced when it grows.
   */
  constructor(
    private readonly makePage: () => Values,
    private readonly constant: number,
    private readonly base?: () => Float64Array,
  ) {}

  get(slot: number): number {
    const page = this.pages[slot >>> pageBits];
    if (page !== undefined) return page[slot & slotInPage]!;
    return this.base === undefined ? this.constant : this.base()[slot]!;
  }

  set(slot: number, value: number): void {
    const pageIndex = slot >>> pageBits;
    let page = this.pages[pageIndex];
    if (page === undefined) {
      if (value === this.defaultOf(slot)) return;
      page = this.materialize(pageIndex);
    }
    page[slot & slotInPage] = value;
  }

  /** Pages held (a measure for tests and the benchmark's reading of where memory goes). */
  get pageCount(): number {
    let count = 0;
    for (const page of this.pages) if (page !== undefined) count++;
    return count;
  }

  clear(): void {
    this.pages = [];
  }

  private defaultOf(slot: number): number {
    return this.base === undefined ? this.constant : this.base()[slot]!;
  }

  /** A page holding every slot's default, as reads saw them before it existed. */
  private materialize(pageIndex: number): Values {
    const page = this.makePage();
    const first = pageIndex << pageBits;
    if (this.base !== undefined) {
      const base = this.base();
      // Slots past the base column's capacity are never read before they are set.
      page.set(base.subarray(first, Math.min(first + sparsePageSlots, base.length)));
    } else if (this.constant !== 0) {
      page.fill(this.constant);
    }
    this.pages[pageIndex] = page;
    return page;
  }
}

export function float64Page(): Float64Array {
  return new Float64Array(sparsePageSlots);
}

export function int32Page(): Int32Array {
  return new Int32Array(sparsePageSlots);
}
