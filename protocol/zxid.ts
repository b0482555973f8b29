// Zxids, ZooKeeper's transaction ids: epoch << 32 | counter, 64 bits on the wire, held here as
// safe JS integers (so epochs stay below 2^21). Every piece of code that splits or builds one
// goes through these functions; none does the arithmetic by hand.

/** A zxid: epoch in the high 32 bits, the epoch's txn counter in the low 32. */
export type Zxid = number;

/** Epochs must stay below 2^21 so that epoch << 32 | counter is a safe JS integer. */
export const zxidEpochLimit = 2 ** 21;
/** The counter is the low 32 bits; ZooKeeper's leader steps down before it would wrap. */
export const zxidCounterLimit = 2 ** 32;
export const zxidCounterMax = zxidCounterLimit - 1;

function assertZxidPart(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Error(`zxid: ${message}`);
}

function isCount(value: number): boolean {
  return Number.isInteger(value) && value >= 0;
}

export function makeZxid(epoch: number, counter: number): Zxid {
  assertZxidPart(isCount(epoch) && epoch < zxidEpochLimit, `epoch ${epoch} outside [0, 2^21)`);
  assertZxidPart(
    isCount(counter) && counter < zxidCounterLimit,
    `counter ${counter} outside [0, 2^32)`,
  );
  return epoch * zxidCounterLimit + counter;
}

function assertZxid(zxid: Zxid): void {
  assertZxidPart(isCount(zxid) && zxid < zxidEpochLimit * zxidCounterLimit, `bad zxid ${zxid}`);
}

export function epochOfZxid(zxid: Zxid): number {
  assertZxid(zxid);
  return Math.floor(zxid / zxidCounterLimit);
}

export function counterOfZxid(zxid: Zxid): number {
  assertZxid(zxid);
  return zxid % zxidCounterLimit;
}

/** The last zxid an epoch can hold: everything of `epoch` and before is at most this. */
export function lastZxidOfEpoch(epoch: number): Zxid {
  return makeZxid(epoch, zxidCounterMax);
}

/** A zxid (or any id) as ZooKeeper's logs print it: `0x200000007`. */
export function hex(value: number | bigint): string {
  // A session id is a Java long: shown as its 64 bits, as ZooKeeper's Long.toHexString does.
  return `0x${(typeof value === 'bigint' ? BigInt.asUintN(64, value) : value).toString(16)}`;
}
