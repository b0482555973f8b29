// The chaos proxy mesh with real replica processes: each replica's zoo.cfg reaches its peers
// through its own proxies, and a learner keeps those addresses when the leader's membership of the
// same version gives others (its own real port, its own proxies). So every Zab link crosses the
// mesh, and a cut between the leader and a follower whose id is higher than the leader's (the
// follower dials the leader) takes that follower out. It once did not: the follower took the
// leader's view on UPTODATE and dialed the leader's real port, past the mesh.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyMesh } from '../../cli/chaos/proxy-mesh.js';
import { ReplicaProcesses, type ReplicaPorts } from '../../cli/chaos/replica-processes.js';
import { corralMain } from '../support/corral.js';
import { freePorts } from '../support/ports.js';

const host = '127.0.0.1';
let dir: string;
let mesh: ProxyMesh;
let replicas: ReplicaProcesses;

async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'corral-mesh-'));
  const ports = new Map<number, ReplicaPorts>();
  const free = await freePorts(9);
  for (let id = 1; id <= 3; id++) {
    const [client, quorum, election] = free.slice(3 * (id - 1), 3 * id);
    ports.set(id, { client: client!, quorum: quorum!, election: election! });
  }
  const reserved = new Set([...ports.values()].flatMap((replica) => Object.values(replica)));
  mesh = await ProxyMesh.create(new Map([...ports].map(([id, p]) => [id, p.quorum])), host,
    undefined, reserved);
  replicas = new ReplicaProcesses(dir, ports, 100, host, corralMain);
  replicas.configure(mesh);
});

afterAll(async () => {
  await replicas?.stopAll();
  await mesh?.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('the chaos proxy mesh and the leader\'s membership', () => {
  it('cuts a follower of higher id off its leader (the follower dials through the mesh)',
    async () => {
      // 1 and 2 elect 2; 3 then joins as a follower whose id is higher than its leader's.
      replicas.start(1);
      replicas.start(2);
      expect(await waitFor(async () => (await replicas.status(2)).mode === 'leader', 30_000))
        .toBe(true);
      replicas.start(3);
      expect(await waitFor(async () => (await replicas.status(3)).mode === 'follower', 30_000))
        .toBe(true);
      // Long past UPTODATE, when the leader's membership was offered: still through the mesh.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const before = mesh.bytesCarried(3, 2);
      expect(await waitFor(async () => mesh.bytesCarried(3, 2) > before, 5_000)).toBe(true);
      mesh.partition(2, 3, 'both');
      // syncLimit is 10 ticks of 100 ms: the cut follower stops serving well within 10 s.
      expect(await waitFor(async () => (await replicas.status(3)).mode !== 'follower', 10_000))
        .toBe(true);
      expect((await replicas.status(2)).mode).toBe('leader');
      mesh.healAll();
      expect(await waitFor(async () => (await replicas.status(3)).mode === 'follower', 30_000))
        .toBe(true);
    }, 120_000);
});
