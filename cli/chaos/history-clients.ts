// The clients of a chaos run: corral's own TypeScript client (real TCP, every replica in its
// connect string), each issuing one request at a time on a few shared znodes and recording every
// operation with its invocation and completion times, for the linearizability checker. A request
// cut off by ConnectionLoss or a timeout has an unknown outcome; after SessionExpired the client
// starts a new session, as an application would.

import { connect, type Client } from '../../client/index.js';
import { ErrorCode, ZooKeeperError } from '../../protocol/errors.js';
import { SeededRandom } from '../../sim/random.js';
import type {
  ZooKeeperInput,
  ZooKeeperOperation,
  ZooKeeperOutput,
} from '../../sim/linearizability/index.js';

export const chaosKeys = ['/k0', '/k1', '/k2', '/k3'];

/** Replies a server gives (the write did or did not happen); anything else is unknown. */
const knownErrors = new Set<number>([
  ErrorCode.noNode,
  ErrorCode.nodeExists,
  ErrorCode.badVersion,
  ErrorCode.notEmpty,
]);

const requestTimeoutMs = 4_000;

export interface ClientRun {
  history: ZooKeeperOperation[];
  sessions: number;
  errors: number;
}

/** The simulator's seeded generator, as a function, so a run's operations follow its seed. */
export function seededRandom(seed: number): () => number {
  const random = new SeededRandom(seed);
  return () => random.next();
}

function randomInput(random: () => number, label: string): ZooKeeperInput {
  const path = chaosKeys[Math.floor(random() * chaosKeys.length)]!;
  const version = random() < 0.5 ? -1 : Math.floor(random() * 3);
  const roll = random();
  if (roll < 0.2) return { kind: 'create', path, data: label };
  if (roll < 0.4) return { kind: 'setData', path, data: label, version };
  if (roll < 0.5) return { kind: 'delete', path, version };
  if (roll < 0.75) return { kind: 'getData', path };
  if (roll < 0.9) return { kind: 'exists', path };
  return { kind: 'sync', path: '/' };
}

async function perform(client: Client, input: ZooKeeperInput): Promise<ZooKeeperOutput> {
  const options = { timeoutMs: requestTimeoutMs };
  switch (input.kind) {
    case 'create':
      return { kind: 'created', path: (await client.create(input.path, input.data, options)).path };
    case 'setData': {
      const stat = await client.setData(input.path, input.data, input.version, options);
      return { kind: 'set', version: stat.version };
    }
    case 'delete':
      await client.delete(input.path, input.version, options);
      return { kind: 'deleted' };
    case 'getData': {
      const { data, stat } = await client.getData(input.path, options);
      return { kind: 'data', data: data?.toString('utf8') ?? '', version: stat.version };
    }
    case 'exists': {
      const stat = await client.exists(input.path, options);
      if (stat === null) return { kind: 'error', code: ErrorCode.noNode };
      return { kind: 'stat', version: stat.version };
    }
    case 'sync':
      await client.sync(input.path, options);
      return { kind: 'synced' };
    default:
      throw new Error(`chaos client: ${input.kind} is not issued`);
  }
}

/** Runs one client until `stopAt` (ms on `now`), recording its history. */
export async function runHistoryClient(
  id: number,
  connectString: string,
  seed: number,
  now: () => number,
  stopAt: number,
): Promise<ClientRun> {
  const random = seededRandom(seed * 1_000 + id);
  const run: ClientRun = { history: [], sessions: 0, errors: 0 };
  let client: Client | undefined;
  for (let index = 0; now() < stopAt && index < 1_000_000; index++) {
    if (client === undefined) {
      const options = { sessionTimeoutMs: 4_000, connectTimeoutMs: 5_000 };
      client = await connect(connectString, options).catch(() => undefined);
      if (client === undefined) continue;
      run.sessions++;
    }
    const input = randomInput(random, `c${id}-${index}`);
    // Each ZooKeeper session is its own FIFO history: a new one may start on a lagging replica.
    const sessionId = `${id}.${run.sessions}`;
    const operation: ZooKeeperOperation = {
      sessionId, invokedAt: now(), completedAt: null, input, output: null,
    };
    run.history.push(operation);
    try {
      operation.output = await perform(client, input);
      operation.completedAt = now();
    } catch (error) {
      run.errors++;
      if (error instanceof ZooKeeperError && knownErrors.has(error.code)) {
        operation.output = { kind: 'error', code: error.code };
        operation.completedAt = now();
      } else if (error instanceof ZooKeeperError && error.code === ErrorCode.sessionExpired) {
        await client.close().catch(() => undefined);
        client = undefined;
      }
    }
  }
  await client?.close().catch(() => undefined);
  return run;
}
