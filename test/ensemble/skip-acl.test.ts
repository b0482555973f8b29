// skipACL=yes across an ensemble (real replica processes, node-zookeeper-client): a client
// without credentials, connected to a follower, writes a node whose ACL names someone else; the
// follower forwards it, the leader orders it as the super user's, and every replica applies it,
// so a third client on the other follower reads the new data.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, closeClient, connectClient, eventually, zookeeper } from '../interop/nzc.js';
import { TestEnsemble } from '../support/ensemble.js';
import { placeSessions, type Placement } from '../support/placement.js';

const { ACL: Acl } = zookeeper;

describe('skipACL=yes in an ensemble (R=3)', () => {
  let ensemble: TestEnsemble;
  let placement: Placement;
  beforeAll(async () => {
    ensemble = await TestEnsemble.create({ voters: 3, tickTimeMs: 200, extraConfig: [
      'skipACL=yes',
    ] });
    ensemble.startAll();
    placement = await placeSessions(ensemble);
  }, 60_000);
  afterAll(async () => {
    await ensemble?.destroy();
  });

  it('a stranger on a follower writes and creates under an owner-only node', async () => {
    const [first, second] = placement.followers as [number, number];
    const connect = (id: number) => connectClient(`127.0.0.1:${ensemble.clientPort(id)}`);
    const [owner, stranger, reader] = await Promise.all([
      connect(placement.leader), connect(first), connect(second),
    ]);
    try {
      owner.addAuthInfo('digest', Buffer.from('alice:secret'));
      await call((callback) => owner.create('/owned', Buffer.from('mine'), Acl.CREATOR_ALL_ACL,
        callback));
      for (const client of [stranger, reader]) {
        await eventually(() => call((callback) => client.exists('/owned', undefined, callback)),
          (stat) => stat !== null);
      }
      await call((callback) => stranger.setData('/owned', Buffer.from('theirs'), -1, callback));
      await call((callback) => stranger.create('/owned/child', callback));
      const data = await eventually(
        () => call<Buffer>((callback) => reader.getData('/owned', undefined, callback)),
        (bytes) => bytes.toString() === 'theirs');
      expect(data.toString()).toBe('theirs');
      const children = await eventually(
        () => call<string[]>((callback) => reader.getChildren('/owned', undefined, callback)),
        (names) => names.length > 0);
      expect(children).toEqual(['child']);
    } finally {
      await Promise.all([owner, stranger, reader].map(closeClient));
    }
  });
});
