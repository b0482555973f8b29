// A tiny seeded generator (xorshift32) for the history generator and the benchmark: sim/ never
// uses Math.random, so a seed reproduces the same history everywhere.

export class Xorshift {
  private state: number;

  constructor(seed: number) {
    // Zero is xorshift's one fixed point; any other 32-bit value works.
    this.state = (seed | 0) === 0 ? 0x9e3779b9 : seed | 0;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x;
    return x >>> 0;
  }

  /** A uniform float in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 0x1_0000_0000;
  }

  /** A uniform integer in [0, bound). */
  below(bound: number): number {
    return Math.floor(this.nextFloat() * bound);
  }

  chance(probability: number): boolean {
    return this.nextFloat() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.below(items.length)]!;
  }
}
