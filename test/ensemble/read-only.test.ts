// Read-only mode on real processes, corral: a 3-replica ensemble with readonlymode.enabled runs
// the scenario of read-only-scenario.ts (two replicas SIGKILLed, then restarted) and its clients
// see what ZooKeeper's see; and a read-only client's isro probe finds a read-write server.

import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../client/index.js';
import type { ClientConnectionState } from '../../machines/client-connection.js';
import { startCorral, type CorralServer } from '../support/corral.js';
import { TestEnsemble } from '../support/ensemble.js';
import { fourLetterWord } from '../support/four-letter.js';
import {
  cleanUpScenario,
  expectedReadOnlyObservations,
  isro,
  keepClient,
  observeReadOnlyScenario,
  waitFor,
} from './read-only-scenario.js';

let ensemble: TestEnsemble | undefined;
let standalone: CorralServer | undefined;

afterEach(async () => {
  await cleanUpScenario();
  await ensemble?.destroy();
  ensemble = undefined;
  await standalone?.stop();
  standalone = undefined;
});

describe('read-only mode (real processes, R=3)', { timeout: 120_000 }, () => {
  it('serves read-only clients without a quorum and moves them to read-write after', async () => {
    ensemble = await TestEnsemble.create({
      voters: 3, adminServers: true, extraConfig: ['readonlymode.enabled=true'],
    });
    ensemble.startAll();
    const started = ensemble;
    const adminIsro = async (id: number) => {
      const response = await fetch(`http://127.0.0.1:${started.adminPort(id)}/commands/isro`);
      return response.json() as Promise<{ read_only: boolean }>;
    };
    const { survivor, observed } = await observeReadOnlyScenario({
      ids: started.ids,
      clientPort: (id) => started.clientPort(id),
      connectString: (ids) => started.connectString(ids),
      kill: (id) => started.kill(id),
      start: (id) => started.start(id),
      waitForLeader: () => started.waitForLeader(),
      followers: () => started.followers(),
      whileReadOnly: async (id) => expect(await adminIsro(id)).toEqual({
        command: 'is_read_only', error: null, read_only: true,
      }),
    });
    expect(observed).toEqual(expectedReadOnlyObservations);
    expect(await adminIsro(survivor)).toMatchObject({ read_only: false });
  });

  it('moves a read-only client to a read-write server its isro probe finds', async () => {
    ensemble = await TestEnsemble.create({ voters: 3, extraConfig: ['readonlymode.enabled=true'] });
    ensemble.startAll();
    await ensemble.waitForLeader();
    const survivor = 1;
    for (const id of [2, 3]) await ensemble.kill(id);
    const port = ensemble.clientPort(survivor);
    await waitFor('isro ro', () => isro(port), (answer) => answer === 'ro');
    // A separate read-write server in the connect string, as ZooKeeper's testSeekForRwServer
    // keeps its read-only peer apart from the quorum that forms.
    // ZooKeeper whitelists isro only where readonlymode.enabled is set; so does corral.
    standalone = await startCorral({ zooCfg: ['readonlymode.enabled=true'] });
    const states: ClientConnectionState[] = [];
    // random 0 makes the client's shuffle put the survivor first (Fisher–Yates swaps).
    const client = keepClient(await connect(`127.0.0.1:${standalone.port},127.0.0.1:${port}`, {
      canBeReadOnly: true, sessionTimeoutMs: 6000, random: () => 0,
    }));
    client.on('state', (state) => states.push(state));
    const connectedAt = Date.now();
    expect(client.state).toBe('connectedReadOnly');
    await waitFor('moved', async () => client.state, (state) => state === 'connected', 10_000);
    const movedAfterMs = Date.now() - connectedAt;
    expect(states).toEqual(['suspended', 'connected']);
    await client.create('/moved', 'rw');
    expect(await fourLetterWord(standalone.port, 'isro')).toBe('rw');
    expect(movedAfterMs).toBeLessThan(2_000);
    console.log(`read-only: probe moved the client to read-write in ${movedAfterMs} ms`);
  });
});
