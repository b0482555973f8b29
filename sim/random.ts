// The simulator's only source of randomness: a seeded generator (xorshift32), so a seed names one
// exact schedule of deliveries, flushes, ticks, requests and crashes, whatever the library
// versions.

export class SeededRandom {
  private state: number;

  constructor(readonly seed: number) {
    // Zero is xorshift's fixed point: mix the seed so every seed, 0 included, starts elsewhere.
    this.state = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) >>> 0) || 0x6d2b79f5;
  }

  /** A float in [0, 1). */
  next(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 0x1_0000_0000;
  }

  /** An integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<Item>(items: readonly Item[]): Item {
    if (items.length === 0) throw new Error('seeded random: pick from nothing');
    return items[this.int(items.length)] as Item;
  }
}
