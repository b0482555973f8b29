// Zab's two persisted epochs: acceptedEpoch (the last NEWEPOCH/LEADERINFO this replica accepted)
// and currentEpoch (the last NEWLEADER it acknowledged). Zab requires each to be on disk before
// the message that depends on it is sent (ACKEPOCH, ACK of NEWLEADER), so setting one resolves
// only after a durable write, in the same backend and with the same settings as the log.

import { crc32c } from '@node-rs/crc32';
import type { BackendSession, Table } from './backend.js';

export interface EpochStore {
  acceptedEpoch(): number;
  currentEpoch(): number;
  /** Resolves once the new value is durable. */
  setAcceptedEpoch(epoch: number): Promise<void>;
  /** Resolves once the new value is durable. */
  setCurrentEpoch(epoch: number): Promise<void>;
}

export class CorruptEpochError extends Error {
  constructor(location: string, name: string) {
    super(`${name} in ${location} fails its checksum; the replica cannot know its epoch`);
    this.name = 'CorruptEpochError';
  }
}

type EpochName = 'acceptedEpoch' | 'currentEpoch';

/** An epoch as 8 bytes (big-endian, it is 32 bits in a zxid but kept wide) plus a CRC-32C. */
function encodeEpoch(epoch: number): Buffer {
  if (!Number.isSafeInteger(epoch) || epoch < 0) throw new RangeError(`bad epoch ${epoch}`);
  const record = Buffer.alloc(12);
  record.writeUInt32BE(Math.floor(epoch / 0x1_0000_0000), 0);
  record.writeUInt32BE(epoch >>> 0, 4);
  record.writeUInt32BE(crc32c(record.subarray(0, 8)), 8);
  return record;
}

const epochKeys: Record<EpochName, Buffer> = {
  acceptedEpoch: Buffer.from('acceptedEpoch'),
  currentEpoch: Buffer.from('currentEpoch'),
};

/** The epochs in the session's `epochs` table, one checksummed record each. */
export class DurableEpochStore implements EpochStore {
  private readonly table: Table;

  constructor(private readonly session: BackendSession) {
    this.table = session.table('epochs');
  }

  private read(name: EpochName): number {
    const record = this.table.get(epochKeys[name]);
    if (record === undefined) return 0;
    const buffer = Buffer.from(record.buffer, record.byteOffset, record.byteLength);
    if (buffer.length !== 12 || crc32c(buffer.subarray(0, 8)) !== buffer.readUInt32BE(8)) {
      throw new CorruptEpochError(this.session.tablesLocation, name);
    }
    return buffer.readUInt32BE(0) * 0x1_0000_0000 + buffer.readUInt32BE(4);
  }

  private async write(name: EpochName, epoch: number): Promise<void> {
    const value = encodeEpoch(epoch);
    await this.session.write([{ table: this.table, key: epochKeys[name], value }]);
  }

  acceptedEpoch(): number {
    return this.read('acceptedEpoch');
  }

  currentEpoch(): number {
    return this.read('currentEpoch');
  }

  setAcceptedEpoch(epoch: number): Promise<void> {
    return this.write('acceptedEpoch', epoch);
  }

  setCurrentEpoch(epoch: number): Promise<void> {
    return this.write('currentEpoch', epoch);
  }
}

/** Epochs held in memory: tests and the simulator. */
export class MemoryEpochStore implements EpochStore {
  private accepted = 0;
  private current = 0;

  acceptedEpoch(): number {
    return this.accepted;
  }

  currentEpoch(): number {
    return this.current;
  }

  async setAcceptedEpoch(epoch: number): Promise<void> {
    this.accepted = epoch;
  }

  async setCurrentEpoch(epoch: number): Promise<void> {
    this.current = epoch;
  }
}
