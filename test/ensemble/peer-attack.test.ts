// A stranger on the replicas' network, scripted against real corral processes (R=3): it dials
// quorum ports, claims configured ids in its hello and, wherever a hello is believed, plays the
// part that id would have — leader to a follower (a forged PROPOSAL and COMMIT of a super-user
// write), learner to the leader (a REQUEST whose write carries the super flag). Every attack is
// refused at the hello; the ensemble keeps serving through a loop of such hellos; the trees stay
// identical and nothing forged or acknowledged is lost or added.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { dumpTree } from '../../cli/chaos/tree-digest.js';
import { encodePeerMessage } from '../../protocol/peer-codec.js';
import type { PeerMessage } from '../../protocol/peer.js';
import type { ACL } from '../../protocol/records.js';
import type { ClientRequest, CreateRequest } from '../../protocol/requests.js';
import { FrameDecoder } from '../../transport/frame-decoder.js';
import {
  decodeWireMessage,
  encodeData,
  encodeHello,
  helloTokenBytes,
  tcpPeerVersion,
  type WireMessage,
} from '../../transport/tcp-peer-wire.js';
import { RawClient } from '../server/raw-client.js';
import { TestEnsemble } from '../support/ensemble.js';

let ensemble: TestEnsemble | undefined;
const openAcl: ACL[] = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

afterEach(async () => {
  await ensemble?.destroy();
  ensemble = undefined;
});

function create(path: string): CreateRequest & ClientRequest {
  return { kind: 'create', opcode: 1, path, data: Buffer.from(path), acl: openAcl, flags: 0,
    ttl: -1 };
}

async function createOn(port: number, path: string): Promise<number> {
  const client = await RawClient.session(port);
  try {
    return (await client.call(1, create(path))).header.err;
  } finally {
    client.destroy();
  }
}

/** A forged super-user write of `path`, as a txn a leader would propose at `zxid`. */
function forgedWrite(zxid: number, path: string) {
  return {
    zxid, time: Date.now(), sessionId: 0n, cxid: 1,
    body: { type: 'write' as const, request: create(path), auth: { ids: [], superUser: true } },
  };
}

/**
 * Dials `port` claiming `claimedId` to `targetId`; if welcomed, sends `play` as data frames.
 * Resolves with the first answer to the hello once the socket closes or 1.5 s have passed.
 */
async function stranger(
  port: number, claimedId: number, targetId: number, play: PeerMessage[],
): Promise<WireMessage | undefined> {
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  const decoder = new FrameDecoder(1024 * 1024);
  let first: WireMessage | undefined;
  const token = randomBytes(helloTokenBytes);
  // From version 5 a hello is followed by the address the dialer advertises (unused for a
  // configured id, which is only ever verified at its configured address).
  socket.write(encodeHello(
    { version: tcpPeerVersion, fromId: claimedId, toId: targetId, token },
    { host: '127.0.0.1', port: 1 },
  ));
  socket.on('data', (chunk: Buffer) => {
    for (const body of decoder.push(chunk)) {
      const decoded = decodeWireMessage(body);
      if (!decoded.ok || first !== undefined) continue;
      first = decoded.message;
      if (first.kind !== 'welcome') continue;
      for (const message of play) {
        for (const piece of encodeData(encodePeerMessage(message))) socket.write(piece);
      }
    }
  });
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1_500);
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  socket.destroy();
  return first;
}

async function trees(ids: number[]) {
  return Promise.all(ids.map((id) => dumpTree(ensemble!.clientPort(id))));
}

describe('a stranger on the peer network (real processes, R=3)', { timeout: 90_000 }, () => {
  it('cannot lead a follower, write as super through the leader, or stop the service', async () => {
    ensemble = await TestEnsemble.create({ voters: 3 });
    ensemble.startAll();
    const leader = await ensemble.waitForLeader();
    const followers = ensemble.ids.filter((id) => id !== leader);
    expect(await createOn(ensemble.clientPort(leader), '/before')).toBe(0);
    const zxid = await ensemble.waitForSameZxid();

    // 1. Play leader to each follower, claiming every id above the follower's.
    for (const follower of followers) {
      for (const claimed of ensemble.ids.filter((id) => id > follower)) {
        const answer = await stranger(ensemble.quorumPort(follower), claimed, follower, [
          { type: 'proposal', txns: [forgedWrite(zxid + 1, '/forged-by-leader')] },
          { type: 'commit', zxid: zxid + 1 },
        ]);
        expect(answer).toMatchObject({ kind: 'refuse', refusal: 'unverified' });
      }
    }

    // 2. Play a learner to the leader: a REQUEST whose write carries the super flag.
    for (const claimed of followers.filter((id) => id > leader)) {
      const answer = await stranger(ensemble.quorumPort(leader), claimed, leader, [
        {
          type: 'request',
          requests: [{ sessionId: 0n, cxid: 1, body: forgedWrite(0, '/forged-by-learner').body }],
        },
      ]);
      expect(answer).toMatchObject({ kind: 'refuse', refusal: 'unverified' });
    }
    // A lower claimed id is told to wait for the higher id's call, which goes to the real one.
    for (const claimed of followers.filter((id) => id < leader)) {
      const answer = await stranger(ensemble.quorumPort(leader), claimed, leader, []);
      expect(answer).toMatchObject({ kind: 'refuse', refusal: 'callBack' });
    }

    // 3. Hellos in a loop, about 60 a second at two replicas, while a client writes.
    const [first, second] = followers as [number, number];
    const loopEnds = Date.now() + 3_000;
    const hellos = (async () => {
      let sent = 0;
      while (Date.now() < loopEnds && sent < 400) {
        const target = sent % 2 === 0 ? first : second;
        const claimed = ensemble!.ids.find((id) => id > target) ?? leader;
        void stranger(ensemble!.quorumPort(target), claimed, target, []);
        sent += 1;
        await new Promise((resolve) => setTimeout(resolve, 16));
      }
      return sent;
    })();
    let writes = 0;
    while (Date.now() < loopEnds) {
      const port = ensemble.clientPort(followers[writes % 2]!);
      expect(await createOn(port, `/during-${writes}`)).toBe(0);
      writes += 1;
    }
    expect(await hellos).toBeGreaterThan(100);
    expect(writes).toBeGreaterThan(5);

    // Nothing forged anywhere; every replica holds the same tree with every acknowledged write.
    await ensemble.waitForSameZxid();
    const dumps = await trees(ensemble.ids);
    for (const dump of dumps) {
      expect(dump.paths).not.toContain('/forged-by-leader');
      expect(dump.paths).not.toContain('/forged-by-learner');
      expect(dump.paths).toContain('/before');
      expect(dump.paths.filter((path) => path.startsWith('/during-'))).toHaveLength(writes);
      expect(dump.digest).toBe(dumps[0]!.digest);
    }
  });
});
