// Tree broadcast with real processes: 5 replicas on 127.0.0.1 in sites a,a,b,b,b (zoo.cfg
// site.N). The leader sends each write's PROPOSAL and COMMIT once to the relay of the remote site
// with more than one replica (corral_peer_sent_frames per peer link, from each process's
// Prometheus endpoint), writes go on committing when that relay is killed, and the relay, back,
// syncs again and catches up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOn } from '../support/ensemble-requests.js';
import { TestEnsemble } from '../support/ensemble.js';
import { freePorts } from '../support/ports.js';
import { prometheusLines, scrape } from '../actors/operations/metrics-support.js';

const sites: Record<number, string> = { 1: 'a', 2: 'a', 3: 'b', 4: 'b', 5: 'b' };
const siteLines = Object.entries(sites).map(([id, site]) => `site.${id}=${site}`);
const tickMs = 200;
const syncLimitTicks = 10;
const writes = 30;

let ensemble: TestEnsemble;
const metricsPorts = new Map<number, number>();

beforeAll(async () => {
  ensemble = await TestEnsemble.create({ voters: 5, tickTimeMs: tickMs, extraConfig: siteLines });
  const ports = await freePorts(5);
  for (const id of ensemble.ids) {
    metricsPorts.set(id, ports[id - 1]!);
    const lines = prometheusLines(ports[id - 1]!, ['metricsProvider.exportJvmInfo=false']);
    ensemble.setConfig(id, lines);
  }
  ensemble.startAll();
  await ensemble.waitForLeader();
  await ensemble.waitForSameZxid();
});

afterAll(async () => {
  await ensemble?.destroy();
});

/** Frames and bytes the machine of `from` has sent on each peer link, by peer. */
async function sentBy(from: number): Promise<Map<number, { frames: number; bytes: number }>> {
  const families = await scrape(metricsPorts.get(from)!);
  const figures = new Map<number, { frames: number; bytes: number }>();
  for (const [name, field] of [['corral_peer_sent_frames', 'frames'],
    ['corral_peer_sent_bytes', 'bytes']] as const) {
    for (const sample of families.get(name)?.metrics ?? []) {
      const peer = Number(sample.labels?.peer);
      const entry = figures.get(peer) ?? { frames: 0, bytes: 0 };
      entry[field] = Number(sample.value);
      figures.set(peer, entry);
    }
  }
  return figures;
}

/** The remote site with a relay: not the leader's, at least two replicas; the lowest relays. */
function relayedSite(leader: number): { relay: number; members: number[] } {
  const remote = ensemble.ids.filter((id) => sites[id] !== sites[leader]);
  const bySite = new Map<string, number[]>();
  for (const id of remote) bySite.set(sites[id]!, [...(bySite.get(sites[id]!) ?? []), id]);
  const [ids] = [...bySite.values()].filter((each) => each.length >= 2);
  const sorted = [...ids!].sort((first, second) => first - second);
  return { relay: sorted[0]!, members: sorted.slice(1) };
}

async function writeMany(port: number, prefix: string, count: number): Promise<void> {
  for (let index = 0; index < count; index++) {
    expect(await createOn(port, `/${prefix}-${index}`)).toBe(0);
  }
}

/**
 * writeMany on a member that may be syncing again: a member that saw a gap once its relay died
 * drops its clients while it syncs, so a session it refuses is asked for again until `deadline`.
 */
async function writeManyBy(port: number, prefix: string, count: number, deadline: number) {
  for (let index = 0; index < count; index++) {
    for (;;) {
      try {
        expect(await createOn(port, `/${prefix}-${index}`)).toBe(0);
        break;
      } catch (error) {
        if (Date.now() > deadline || !/no session/.test(String(error))) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}

describe('tree broadcast (real processes, sites a,a,b,b,b)', { timeout: 120_000 }, () => {
  it('sends one copy per remote site, survives the relay\'s death and its restart', async () => {
    const leader = await ensemble.waitForLeader();
    const { relay, members } = relayedSite(leader);
    const port = ensemble.clientPort(leader);
    // The relay plan is made at the leader's tick and confirmed by the members' first ACKs.
    await writeMany(port, 'warm', 5);
    await new Promise((resolve) => setTimeout(resolve, 4 * tickMs));
    await writeMany(port, 'warm2', 3);

    const before = await sentBy(leader);
    const startedAt = Date.now();
    await writeMany(port, 'tree', writes);
    const elapsedTicks = Math.ceil((Date.now() - startedAt) / tickMs) + 2;
    const after = await sentBy(leader);
    const sent = (peer: number) => ({
      frames: after.get(peer)!.frames - before.get(peer)!.frames,
      bytes: after.get(peer)!.bytes - before.get(peer)!.bytes,
    });
    // Each write (and its session's create/close) is a PROPOSAL and a COMMIT to the relay...
    expect(sent(relay).frames).toBeGreaterThanOrEqual(2 * writes);
    // ...and nothing but the leader's PINGs to the followers the relay serves.
    for (const member of members) expect(sent(member).frames).toBeLessThanOrEqual(elapsedTicks);
    await ensemble.waitForSameZxid();

    // The relay dies: its site is sent to directly (or through another relay) at once.
    await ensemble.kill(relay);
    const killedAt = Date.now();
    const deadline = killedAt + syncLimitTicks * tickMs + 5_000;
    await writeManyBy(ensemble.clientPort(members[0]!), 'after-kill', 5, deadline);
    expect(Date.now() - killedAt).toBeLessThan(syncLimitTicks * tickMs + 5_000);
    await ensemble.waitForSameZxid(ensemble.ids.filter((id) => id !== relay));

    // Back, it syncs again (DIFF from the leader) and relays once more.
    ensemble.start(relay);
    await ensemble.waitForSameZxid();
    await writeMany(port, 'restarted', 5);
    await ensemble.waitForSameZxid();
    expect((await ensemble.status(relay)).mode).toBe('follower');
  });
});
