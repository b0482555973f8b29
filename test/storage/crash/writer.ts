// A client that streams creates, setData and multis to a server and records what each
// acknowledged write left behind, and which write (if any) was in flight when the server died,
// so a checker can tell "acknowledged and lost" from "unacknowledged and possibly applied".

import type { Client } from 'node-zookeeper-client';
import { call } from '../../interop/nzc.js';

/** What one path must hold: data and version, or absence. */
export interface Expected {
  data: string;
  version: number;
}

/** The writes one lane made, each lane with at most one write in flight. */
export interface LaneRecord {
  acknowledged: Map<string, Expected>;
  /** The write sent but not answered when the lane stopped: either outcome is allowed. */
  inFlight: Map<string, Expected> | undefined;
}

export class Writer {
  readonly lanes: LaneRecord[] = [];
  private stopped = false;
  private counter = 0;

  constructor(
    private readonly random: () => number,
    readonly prefix: string,
  ) {}

  /** Runs `laneCount` lanes until stop(); each resolves when its last write settles. */
  run(client: Client, laneCount: number, shared: LaneRecord[] = []): Promise<void[]> {
    const runs: Array<Promise<void>> = [];
    for (let lane = 0; lane < laneCount; lane++) {
      const record: LaneRecord = shared[lane] ?? { acknowledged: new Map(), inFlight: undefined };
      this.lanes[lane] = record;
      runs.push(this.runLane(client, lane, record));
    }
    return Promise.all(runs);
  }

  stop(): void {
    this.stopped = true;
  }

  private async runLane(client: Client, lane: number, record: LaneRecord): Promise<void> {
    this.stopped = false;
    while (!this.stopped) {
      const write = this.nextWrite(lane, record);
      record.inFlight = write.effect;
      try {
        await write.send(client);
      } catch {
        return; // connection lost: the write stays "in flight", either outcome allowed
      }
      for (const [path, expected] of write.effect) record.acknowledged.set(path, expected);
      record.inFlight = undefined;
    }
  }

  private nextWrite(lane: number, record: LaneRecord) {
    const id = this.counter++;
    const known = [...record.acknowledged.keys()].filter((path) => !path.includes('/m'));
    const roll = this.random();
    if (roll < 0.35 && known.length > 0) {
      const path = known[Math.floor(this.random() * known.length)]!;
      const next = { data: `set-${id}`, version: record.acknowledged.get(path)!.version + 1 };
      return {
        effect: new Map([[path, next]]),
        send: (client: Client) =>
          call(
            (callback) => client.setData(path, Buffer.from(next.data), next.version - 1, callback),
          ),
      };
    }
    if (roll < 0.55) {
      const first = `${this.prefix}/m${lane}-${id}-a`;
      const second = `${this.prefix}/m${lane}-${id}-b`;
      const effect = new Map([
        [first, { data: `multi-${id}`, version: 0 }],
        [second, { data: `multi-${id}`, version: 0 }],
      ]);
      return {
        effect,
        send: (client: Client) =>
          call((callback) =>
            client
              .transaction()
              .create(first, Buffer.from(`multi-${id}`))
              .create(second, Buffer.from(`multi-${id}`))
              .commit(callback),
          ),
      };
    }
    const path = `${this.prefix}/n${lane}-${id}`;
    return {
      effect: new Map([[path, { data: `create-${id}`, version: 0 }]]),
      send: (client: Client) =>
        call((callback) => client.create(path, Buffer.from(`create-${id}`), callback)),
    };
  }
}

/** What a path holds now: its data and version, or undefined. */
export async function readPath(client: Client, path: string): Promise<Expected | undefined> {
  try {
    const [data, stat] = await new Promise<[Buffer, { version: number }]>((resolve, reject) =>
      client.getData(path, undefined, (error, data, stat) =>
        error ? reject(error) : resolve([data, stat]),
      ),
    );
    return { data: data.toString(), version: stat.version };
  } catch (error) {
    if ((error as { code?: number }).code === -101) return undefined;
    throw error;
  }
}
