// Tree broadcast's direct ACKs with real processes: 3 replicas on 127.0.0.1, the leader (3) alone
// in site a, replicas 1 and 2 in site b, every quorum link through the chaos proxy mesh. Replica 1
// relays the leader's broadcast to 2. Once the path is in use, everything the relay sends the
// leader, and everything 2 sends the relay, is held for seconds (a slow relay: its own ACKs, and
// any ACK passed back through it, arrive late), while 2's own link to the leader stays fast. A
// write then commits on 2's ACK, which goes to the leader directly: with ACKs batched back through
// the relay (treeBroadcastDirectAcks=false, or a learner of peer protocol 4) no ACK of site b
// could reach the leader before the hold is over, and each write would take longer than it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { connect } from '../../client/index.js';
import { unshapedLink, type LinkShape } from '../../cli/chaos/link-shaper.js';
import { ProxyMesh } from '../../cli/chaos/proxy-mesh.js';
import { createOn } from '../support/ensemble-requests.js';
import { TestEnsemble } from '../support/ensemble.js';
import { freePorts } from '../support/ports.js';
import { prometheusLines, scrape } from '../actors/operations/metrics-support.js';

const sites: Record<number, string> = { 1: 'b', 2: 'b', 3: 'a' };
const tickMs = 200;
/** The lag limit (syncLimit - 1 ticks, 5.8 s) stays well above the hold: the relay keeps its
 * place in the plan while it is slow. */
const syncLimitTicks = 30;
const holdMs = 3_000;
/** The replica that leads: the highest id, started first, wins an election of empty histories. */
const firstLeader = 3;
const relay = 1;
const member = 2;

let ensemble: TestEnsemble;
let mesh: ProxyMesh;
const metricsPorts = new Map<number, number>();
/** The two slowed directions; their delay is read as each chunk is sent, so it can change. */
const slowed = new Map<string, LinkShape>([
  [`${relay}→${firstLeader}`, { delayMs: 0, bandwidthBytesPerMs: Infinity }],
  [`${member}→${relay}`, { delayMs: 0, bandwidthBytesPerMs: Infinity }],
]);

beforeAll(async () => {
  const extraConfig = [
    ...Object.entries(sites).map(([id, site]) => `site.${id}=${site}`),
    `syncLimit=${syncLimitTicks}`,
  ];
  ensemble = await TestEnsemble.create({ voters: 3, tickTimeMs: tickMs, extraConfig });
  const ids = ensemble.ids;
  const electionPort = (id: number) => Number(/:(\d+)$/.exec(serverLine(id))?.[1]);
  const ports = await freePorts(ids.length);
  ids.forEach((id, index) => metricsPorts.set(id, ports[index]!));
  const reserved = new Set([...ports, ...ids.flatMap((id) => [ensemble.clientPort(id),
    ensemble.quorumPort(id), ensemble.adminPort(id), electionPort(id)])]);
  const quorumPorts = new Map(ids.map((id) => [id, ensemble.quorumPort(id)]));
  mesh = await ProxyMesh.create(quorumPorts, '127.0.0.1',
    (from, to) => slowed.get(`${from}→${to}`) ?? unshapedLink, reserved);
  for (const id of ids) {
    // As in site-sync.test.ts: every zoo.cfg names the peers as the leader's does, so taking the
    // leader's membership changes no address; the mesh tells the dialer by its hello.
    const servers = ids.map((peer) => {
      const real = peer === id || peer === firstLeader;
      const quorum = real ? ensemble.quorumPort(peer) : mesh.portFor(firstLeader, peer);
      return `server.${peer}=127.0.0.1:${quorum}:${electionPort(peer)}`;
    });
    ensemble.setConfig(id, [...servers, ...prometheusLines(metricsPorts.get(id)!,
      ['metricsProvider.exportJvmInfo=false'])]);
  }
  ensemble.startAll([...ids].reverse());
  expect(await ensemble.waitForLeader()).toBe(firstLeader);
  await ensemble.waitForSameZxid();
});

afterAll(async () => {
  await ensemble?.destroy();
  await mesh?.close();
});

/** Replica 1's zoo.cfg line for server `peer` (its election port is the real one). */
function serverLine(peer: number): string {
  const text = readFileSync(ensemble.configFile(1), 'utf8');
  return text.split('\n').find((line) => line.startsWith(`server.${peer}=`)) ?? '';
}

/** Frames the leader's machine has sent to `peer` (corral_peer_sent_frames). */
async function framesSentTo(peer: number): Promise<number> {
  const families = await scrape(metricsPorts.get(firstLeader)!);
  const sample = families.get('corral_peer_sent_frames')?.metrics
    .find((each) => Number(each.labels?.peer) === peer);
  return Number(sample?.value ?? Number.NaN);
}

describe('tree broadcast, ACKs straight to the leader (real processes, sites b,b,a)',
  { timeout: 60_000 }, () => {
    it('commits on a relayed follower\'s own ACK while its relay is slow', async () => {
      const port = ensemble.clientPort(firstLeader);
      // The plan is made at a tick and confirmed by the member's ACK through the relay.
      for (let index = 0; index < 3; index++) {
        expect(await createOn(port, `/warm-${index}`)).toBe(0);
      }
      await new Promise((resolve) => setTimeout(resolve, 4 * tickMs));
      const client = await connect(`127.0.0.1:${port}`, { sessionTimeoutMs: 10_000 });
      try {
        await client.create('/warm-session', 'x');
        for (const shape of slowed.values()) shape.delayMs = holdMs;
        const framesBefore = await framesSentTo(member);
        const startedAt = Date.now();
        const took: number[] = [];
        for (let index = 0; index < 8; index++) {
          const writeStarted = Date.now();
          await client.create(`/direct-${index}`, `value ${index}`);
          took.push(Date.now() - writeStarted);
        }
        const elapsedTicks = Math.ceil((Date.now() - startedAt) / tickMs) + 2;
        // The member got the writes through its relay: the leader sent it only its PINGs.
        expect(await framesSentTo(member) - framesBefore).toBeLessThanOrEqual(elapsedTicks);
        // Each write committed before any ACK of the slowed directions could have arrived.
        expect(Math.max(...took)).toBeLessThan(holdMs);
      } finally {
        for (const shape of slowed.values()) shape.delayMs = 0;
        await client.close();
      }
      // The member has every write: it logged and applied what its relay passed on.
      await ensemble.waitForSameZxid();
    });
  });
