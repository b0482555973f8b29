// The behaviour every Transport shares, whatever world it lives in: FIFO frames both ways,
// `connected` before the first frame, no listener called inside send, frames copied at send,
// a closed transport heard as `peerClosed` and reconnected after a restart. Each world supplies
// how time passes (`pump`): the memory network delivers, TCP lets the event loop run.
import { describe, expect, it } from 'vitest';
import type { Transport } from '../../transport/transport.js';

export interface TransportWorld {
  /** Creates the transport of `id`, or after it closed, its restart (same address). */
  start(id: number): Promise<Transport>;
  /** Moves whatever is in flight a step: memory delivers everything, TCP waits a little. */
  pump(): Promise<void>;
  /** Closes every transport still open. */
  dispose(): Promise<void>;
}

export type TransportWorldFactory = () => TransportWorld;

/** Pumps at most this often while waiting; a world that needs more is broken. */
const pumpsMax = 1_000;

/** Every event of one transport as a line like `2 frame 1 a`, shared across transports. */
class Recorder {
  readonly lines: string[] = [];

  attach(id: number, transport: Transport): void {
    transport.on('frame', (from, frame) =>
      this.lines.push(`${id} frame ${from} ${Buffer.from(frame).toString()}`),
    );
    transport.on('connected', (peer) => this.lines.push(`${id} connected ${peer}`));
    transport.on('disconnected', (peer, cause) =>
      this.lines.push(`${id} disconnected ${peer} ${cause.reason}`),
    );
  }

  framesFrom(receiver: number, sender: number): string[] {
    const prefix = `${receiver} frame ${sender} `;
    return this.lines
      .filter((line) => line.startsWith(prefix))
      .map((line) => line.slice(prefix.length));
  }

  indexOf(line: string): number {
    return this.lines.indexOf(line);
  }
}

async function waitUntil(world: TransportWorld, done: () => boolean, what: string): Promise<void> {
  for (let pumps = 0; pumps < pumpsMax; pumps++) {
    if (done()) return;
    await world.pump();
  }
  throw new Error(`still waiting for ${what} after ${pumpsMax} pumps`);
}

async function startAll(world: TransportWorld, recorder: Recorder, ids: number[]) {
  const transports = new Map<number, Transport>();
  for (const id of ids) {
    const transport = await world.start(id);
    recorder.attach(id, transport);
    transports.set(id, transport);
  }
  const send = (from: number, to: number, text: string) =>
    transports.get(from)?.send(to, Buffer.from(text));
  return { transports, send };
}

const sequence = (prefix: string, count: number) =>
  Array.from({ length: count }, (_, index) => `${prefix}${index}`);

type Case = (world: TransportWorld, recorder: Recorder) => Promise<void>;

const fifoAmongThree: Case = async (world, recorder) => {
  const { send } = await startAll(world, recorder, [1, 2, 3]);
  const pairs = [[1, 2], [2, 1], [1, 3], [3, 1], [2, 3], [3, 2]] as const;
  for (let index = 0; index < 50; index++) {
    for (const [from, to] of pairs) send(from, to, `${from}>${to}#${index}`);
  }
  await waitUntil(
    world,
    () => pairs.every(([from, to]) => recorder.framesFrom(to, from).length === 50),
    'every frame',
  );
  for (const [from, to] of pairs) {
    expect(recorder.framesFrom(to, from)).toEqual(sequence(`${from}>${to}#`, 50));
    const connectedAt = recorder.indexOf(`${to} connected ${from}`);
    expect(connectedAt).toBeGreaterThanOrEqual(0);
    expect(connectedAt).toBeLessThan(recorder.indexOf(`${to} frame ${from} ${from}>${to}#0`));
  }
  expect(recorder.lines.filter((line) => line.includes('disconnected'))).toEqual([]);
};

const noListenerInsideSend: Case = async (world, recorder) => {
  const { transports, send } = await startAll(world, recorder, [1, 2]);
  const depth = { current: 0, maximum: 0 };
  transports.get(2)?.on('frame', (from) => {
    depth.current += 1;
    depth.maximum = Math.max(depth.maximum, depth.current);
    transports.get(2)?.send(from, Buffer.from('reply'));
    depth.current -= 1;
  });
  send(1, 2, 'ping');
  expect(recorder.lines).toEqual([]);
  await waitUntil(world, () => recorder.framesFrom(1, 2).length > 0, 'the reply');
  expect(recorder.framesFrom(1, 2)).toEqual(['reply']);
  expect(depth.maximum).toBe(1);
};

const framesCopiedAtSend: Case = async (world, recorder) => {
  const { transports } = await startAll(world, recorder, [1, 2]);
  const buffer = Buffer.from('before');
  transports.get(1)?.send(2, buffer);
  buffer.write('after!');
  await waitUntil(world, () => recorder.framesFrom(2, 1).length > 0, 'the frame');
  expect(recorder.framesFrom(2, 1)).toEqual(['before']);
};

const unknownPeerDropped: Case = async (world, recorder) => {
  const { send } = await startAll(world, recorder, [1, 2]);
  send(1, 99, 'to nobody');
  send(1, 2, 'marker');
  await waitUntil(world, () => recorder.framesFrom(2, 1).length > 0, 'the marker');
  expect(recorder.lines.filter((line) => line.includes('99'))).toEqual([]);
};

const closeAndRestart: Case = async (world, recorder) => {
  const { transports, send } = await startAll(world, recorder, [1, 2]);
  send(1, 2, 'a');
  await waitUntil(world, () => recorder.framesFrom(2, 1).length > 0, 'the first frame');
  transports.get(2)?.close();
  send(1, 2, 'to a closed peer');
  await waitUntil(world, () => recorder.indexOf('1 disconnected 2 peerClosed') >= 0, 'close');
  expect(recorder.lines.filter((line) => line.startsWith('2 ')).at(-1)).toBe('2 frame 1 a');
  const restarted = await world.start(2);
  recorder.attach(2, restarted);
  const closedAt = recorder.lines.length;
  restarted.send(1, Buffer.from('restarted'));
  await waitUntil(world, () => recorder.framesFrom(1, 2).includes('restarted'), 'restart');
  const after = recorder.lines.slice(closedAt);
  expect(after.indexOf('1 connected 2')).toBeGreaterThanOrEqual(0);
  expect(after.indexOf('1 connected 2')).toBeLessThan(after.indexOf('1 frame 2 restarted'));
  expect(after).toContain('2 connected 1');
  expect(recorder.framesFrom(2, 1)).not.toContain('to a closed peer');
};

const cases: Array<[string, Case]> = [
  ['delivers frames both ways among 3 transports in FIFO order (50 per direction)', fifoAmongThree],
  ['never calls a listener inside send; a reply waits for a later delivery', noListenerInsideSend],
  ['copies frames at send, so a sender reusing its buffer cannot change one', framesCopiedAtSend],
  ['drops frames for an unknown peer without an event', unknownPeerDropped],
  ['a closed transport hears nothing; peers see peerClosed; a restart reconnects', closeAndRestart],
];

/** Registers the shared cases for one world; each gets a fresh world, disposed afterwards. */
export function describeTransportConformance(name: string, createWorld: TransportWorldFactory) {
  describe(`transport conformance: ${name}`, () => {
    it.each(cases)('%s', async (_title, run) => {
      const world = createWorld();
      try {
        await run(world, new Recorder());
      } finally {
        await world.dispose();
      }
    });
  });
}
