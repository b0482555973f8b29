// A fixed-size set of operation indices, the "linearized so far" half of the search's memo key.
// Rendered as a string of 16-bit chunks so a plain Set<string> can hold the memo table.

export class Bitset {
  private readonly chunks: Uint16Array;

  constructor(readonly size: number) {
    this.chunks = new Uint16Array(Math.ceil(size / 16));
  }

  has(index: number): boolean {
    return (this.chunks[index >>> 4]! & (1 << (index & 15))) !== 0;
  }

  add(index: number): void {
    this.chunks[index >>> 4]! |= 1 << (index & 15);
  }

  delete(index: number): void {
    this.chunks[index >>> 4]! &= ~(1 << (index & 15));
  }

  /** A string equal for equal sets; lone surrogates are fine inside a JavaScript string. */
  key(): string {
    // Apply in slices: engines cap how many arguments one call may take.
    const sliceLength = 4096;
    let rendered = '';
    for (let start = 0; start < this.chunks.length; start += sliceLength) {
      const slice = this.chunks.subarray(start, start + sliceLength);
      rendered += String.fromCharCode.apply(null, slice as unknown as number[]);
    }
    return rendered;
  }
}
