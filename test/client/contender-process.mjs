// A contender in its own process, for the recipe contention tests: it runs the built client
// (dist/) with one session per participant id, records holders in the shared log as the parent's
// checker reads it, and talks to the parent by lines (stdout: ready/joined; stdin: go/close/exit).
// Plain JavaScript because the test runs it with `node` directly, without a TypeScript loader.

import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { connect } from '../../dist/client/index.js';
import { LeaderElection, LeaderLatch, Lock } from '../../dist/client/recipes/index.js';

/** A limit on one run: the parent kills or closes us long before. */
const lifetimeMsMax = 60_000;

const config = JSON.parse(process.argv[2] ?? '{}');
const record = (kind, id) => appendFileSync(config.log, `${Date.now()} ${kind} ${id}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const say = (line) => process.stdout.write(`${line}\n`);

const lines = createInterface({ input: process.stdin });
const waiters = [];
lines.on('line', (line) => {
  for (const waiter of waiters.splice(0)) waiter(line);
  if (line === 'exit') void shutdown(0);
  if (line.startsWith('close ')) void closeParticipant(line.slice(6));
});
// The parent is gone (or done with us): never outlive it.
lines.on('close', () => void shutdown(0));
setTimeout(() => void shutdown(1), lifetimeMsMax).unref();

const clients = new Map();
const participants = new Map();
let shuttingDown = false;

async function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  for (const participant of participants.values()) await participant.close().catch(() => {});
  await Promise.all([...clients.values()].map((client) => client.close()));
  process.exit(code);
}

async function closeParticipant(id) {
  await participants.get(id)?.close();
  participants.delete(id);
  say(`closed ${id}`);
}

function nextLine(expected) {
  return new Promise((resolve) => {
    const check = (line) => (line === expected ? resolve() : waiters.push(check));
    waiters.push(check);
  });
}

/** Takes the lock `rounds` times; a broken lock enters as soon as its node exists. */
async function contendForLock(client, id) {
  const lock = new Lock(client, config.path);
  for (let round = 0; round < config.rounds; round++) {
    if (config.recipe === 'brokenLock') {
      const options = { mode: 'ephemeralSequential' };
      const { path } = await client.create(`${config.path}/lock-`, '', options);
      record('enter', id);
      await sleep(config.holdMs);
      record('exit', id);
      await client.delete(path);
    } else {
      const holding = await lock.acquire({ timeoutMs: 30_000 });
      record('enter', id);
      await sleep(config.holdMs);
      record('exit', id);
      await holding.release();
    }
  }
}

async function join(client, id) {
  if (config.recipe === 'latch') {
    const latch = new LeaderLatch(client, config.path, id);
    latch.onChange((isLeader) => record(isLeader ? 'lead' : 'unlead', id));
    await latch.start();
    participants.set(id, latch);
  } else {
    const election = new LeaderElection(client, config.path, {
      requeue: false,
      takeLeadership: async (signal) => {
        record('lead', id);
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        record('unlead', id);
      },
    });
    election.start();
    participants.set(id, election);
  }
  say(`joined ${id}`);
}

for (const id of config.ids) {
  const options = { sessionTimeoutMs: config.sessionTimeoutMs ?? 4_000 };
  clients.set(id, await connect(config.connectString, options));
}
say('ready');
if (config.recipe === 'lock' || config.recipe === 'brokenLock') {
  await nextLine('go');
  await Promise.all(config.ids.map((id) => contendForLock(clients.get(id), id)));
  say('done');
  await shutdown(0);
} else {
  for (const id of config.ids) await join(clients.get(id), id);
}
