// PeerOutbox (actors/replica/outbox.ts) and SnapAssembler (snap-assembler.ts) over a recording
// transport: a streamed SNAP arrives as SNAPPART pieces then the SNAP, whatever was sent to that
// learner meanwhile follows it in order, the joined pieces are the tree's snapshot (and were
// restored into the same tree as they came), and a link that goes down ends the stream (its
// capture released). The real TCP path is covered in test/ensemble.
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { PeerOutbox, snapFrames } from '../../../actors/replica/outbox.js';
import { SnapAssembler } from '../../../actors/replica/snap-assembler.js';
import { decodePeerMessage, encodePeerMessage } from '../../../protocol/peer-codec.js';
import type { PeerMessage, PeerMessageOf } from '../../../protocol/peer.js';
import { restoreTree, snapshotPayload } from '../../../storage/peer-snapshot.js';
import { encodeSnapshot } from '../../../storage/snapshot-file.js';
import { DataTree } from '../../../tree/data-tree.js';
import { treeOf, TxnStream } from '../../storage/fixtures.js';

class RecordingTransport {
  readonly sent: Array<{ to: number; message: PeerMessage }> = [];
  state = 'connected';
  queuedBytes = 0;

  send(to: number, frame: Uint8Array): void {
    const decoded = decodePeerMessage(frame);
    if (!decoded.ok) throw decoded.error;
    this.sent.push({ to, message: decoded.message });
  }

  linkState(): { state: string; queuedBytes: number } {
    return { state: this.state, queuedBytes: this.queuedBytes };
  }
}

const quiet = pino({ level: 'silent' });
/** A seeded tree, then 2000 values of 4 KiB on top: about 8 MiB, so several pieces (a piece is
 * whole frames of 250 nodes, at least 1 MiB). */
function bigTree(): DataTree {
  const tree = treeOf(new TxnStream(5).take(500));
  const auth = { ids: [], superUser: true };
  const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
  let zxid = tree.lastZxid;
  tree.apply({ zxid: ++zxid, time: 1, sessionId: 9n, cxid: 0,
    body: { type: 'createSession', sessionId: 9n, timeoutMs: 4000, password: Buffer.alloc(16) } });
  for (let index = 0; index < 2000; index++) {
    const data = Buffer.alloc(4 * 1024, index);
    const request = { kind: 'create', opcode: 1, path: `/big${index}`, data, acl, flags: 0,
      ttl: -1 } as const;
    tree.apply({ zxid: ++zxid, time: 1, sessionId: 9n, cxid: 1, body: { type: 'write', request,
      auth } });
  }
  expect(tree.nodeCount).toBeGreaterThan(2000);
  return tree;
}

function snapOf(tree: DataTree): PeerMessageOf<'snap'> {
  return { type: 'snap', zxid: tree.lastZxid,
    snapshot: { formatVersion: 2, bytes: Buffer.alloc(0) } };
}

async function until(done: () => boolean): Promise<void> {
  for (let turn = 0; turn < 10_000 && !done(); turn++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  expect(done()).toBe(true);
}

/** Production's pacing: the next turn of Node's event loop, and its timers. */
const eventLoop = {
  nextTurn: () => new Promise<void>((resolve) => setImmediate(resolve)),
  sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
};

describe('PeerOutbox', () => {
  it('streams a SNAP in pieces; what was sent meanwhile follows it, in order', async () => {
    const tree = bigTree();
    const expected = encodeSnapshot(tree.capture());
    const transport = new RecordingTransport();
    const outbox = new PeerOutbox(transport, quiet, eventLoop);
    outbox.send(2, encodePeerMessage({ type: 'diff', zxid: 1 }));
    outbox.stream(2, snapFrames(snapOf(tree), tree.capture()));
    outbox.send(2, encodePeerMessage({ type: 'newLeader', zxid: 7 }));
    outbox.send(3, encodePeerMessage({ type: 'ping', touches: [] }));
    outbox.send(2, encodePeerMessage({ type: 'upToDate' }));
    // The first slice went out at once; another learner is not held up by the rest.
    expect(transport.sent.map(({ to, message }) => `${to}:${message.type}`))
      .toEqual(['2:diff', '2:snapPart', '3:ping']);
    await until(() => transport.sent.some(({ message }) => message.type === 'upToDate'));
    const toTwo = transport.sent.filter(({ to }) => to === 2).map(({ message }) => message);
    const types = toTwo.map((message) => message.type);
    const parts = types.filter((type) => type === 'snapPart').length;
    expect(expected.length).toBeGreaterThan(8_000_000);
    expect(parts).toBeGreaterThanOrEqual(4);
    expect(types).toEqual(['diff', ...Array(parts).fill('snapPart'), 'snap', 'newLeader',
      'upToDate']);
    const assembler = new SnapAssembler(1 << 30);
    for (const message of toTwo) {
      if (message.type === 'snapPart') expect(assembler.addPart(2, message.bytes)).toBe(true);
    }
    const whole = assembler.complete(2, toTwo.find((message) => message.type === 'snap')!);
    // Joined, the pieces are the payload (the learner keeps them apart, uncopied).
    expect(Buffer.concat(snapshotPayload(whole!.snapshot)).equals(expected)).toBe(true);
    const restored = new DataTree({ extendedTypesEnabled: true });
    expect(restoreTree(restored, whole!.snapshot)).toBe(tree.lastZxid);
    expect(restored.nodeCount).toBe(tree.nodeCount);
  });

  it('stops a stream whose link went down, releasing its capture and holding back the rest',
  async () => {
    const tree = bigTree();
    const transport = new RecordingTransport();
    const outbox = new PeerOutbox(transport, quiet, eventLoop);
    const capture = tree.capture();
    const release = vi.spyOn(capture, 'release');
    outbox.stream(2, snapFrames(snapOf(tree), capture));
    transport.state = 'backoff';
    await until(() => release.mock.calls.length === 1);
    expect(transport.sent.map(({ message }) => message.type)).not.toContain('snap');
    // Until the learner starts over, nothing may follow the SNAP it did not get.
    const sentBefore = transport.sent.length;
    outbox.send(2, encodePeerMessage({ type: 'newLeader', zxid: 7 }));
    outbox.send(3, encodePeerMessage({ type: 'upToDate' }));
    expect(transport.sent.slice(sentBefore).map(({ to }) => to)).toEqual([3]);
    // Its FOLLOWERINFO (beginSync), like a new link (abort), ends that.
    transport.state = 'connected';
    outbox.beginSync(2);
    outbox.send(2, encodePeerMessage({ type: 'leaderInfo', newEpoch: 3, protocolVersion: 1 }));
    expect(transport.sent.at(-1)).toMatchObject({ to: 2, message: { type: 'leaderInfo' } });
  });

  it('waits while the link queue is full, and goes on once it drains', async () => {
    const tree = bigTree();
    const transport = new RecordingTransport();
    const outbox = new PeerOutbox(transport, quiet, eventLoop);
    transport.queuedBytes = 64 << 20;
    outbox.stream(2, snapFrames(snapOf(tree), tree.capture()));
    await new Promise((resolve) => setTimeout(resolve, 50));
    // A slice (one piece) goes out, then nothing while the queue stays full.
    expect(transport.sent.map(({ message }) => message.type)).toEqual(['snapPart']);
    transport.queuedBytes = 0;
    await until(() => transport.sent.some(({ message }) => message.type === 'snap'));
  });
});

describe('SnapAssembler', () => {
  it('refuses pieces past its limit, and the SNAP they end', () => {
    const assembler = new SnapAssembler(10);
    expect(assembler.addPart(1, new Uint8Array(6))).toBe(true);
    expect(assembler.addPart(1, new Uint8Array(6))).toBe(false);
    const snap: PeerMessageOf<'snap'> = {
      type: 'snap', zxid: 5, snapshot: { formatVersion: 2, bytes: new Uint8Array(1) },
    };
    expect(assembler.complete(1, snap)).toBeUndefined();
    // The next stream from that peer starts afresh; one broken link forgets its pieces.
    expect(assembler.addPart(1, new Uint8Array(4))).toBe(true);
    assembler.forget(1);
    expect(assembler.complete(1, snap)).toBe(snap);
  });

  const snapTree = bigTree();

  it('restores the tree as the pieces come, and hands it over once for that SNAP', () => {
    const tree = snapTree;
    const frames = [...snapFrames(snapOf(tree), tree.capture(), 256 * 1024)]
      .map((frame) => decodePeerMessage(frame))
      .map((decoded) => (decoded.ok ? decoded.message : expect.fail(String(decoded.error))));
    expect(frames.length).toBeGreaterThan(4);
    const trees: DataTree[] = [];
    const assembler = new SnapAssembler(1 << 30, () => {
      trees.push(new DataTree({ extendedTypesEnabled: true }));
      return trees.at(-1);
    });
    for (const message of frames.slice(0, -1)) {
      if (message.type !== 'snapPart') expect.fail(message.type);
      expect(assembler.addPart(2, message.bytes)).toBe(true);
    }
    // Restored up to the last piece before the SNAP's own bytes have come.
    expect(trees).toHaveLength(1);
    expect(trees[0]!.nodeCount).toBeGreaterThan(1);
    const whole = assembler.complete(2, frames.at(-1) as PeerMessageOf<'snap'>)!;
    const restored = assembler.takeRestored(whole.snapshot);
    expect(restored?.zxid).toBe(tree.lastZxid);
    expect(restored?.tree).toBe(trees[0]);
    const fromWhole = new DataTree({ extendedTypesEnabled: true });
    restoreTree(fromWhole, whole.snapshot);
    expect(restored!.tree.nodeCount).toBe(tree.nodeCount);
    expect(restored!.tree.digest()).toBe(fromWhole.digest());
    // ZooKeeper's tree digest is left to be summed later, a slice at a time, to the same sum.
    expect(restored!.tree.digestToStamp()).toBeUndefined();
    let slices = 0;
    while (!restored!.tree.completeDigest(100)) slices++;
    expect(slices).toBeGreaterThan(2);
    expect(restored!.tree.treeDigest).toBe(fromWhole.treeDigest);
    expect(restored!.tree.digestToStamp()).toEqual(fromWhole.digestToStamp());
    expect(assembler.takeRestored(whole.snapshot)).toBeUndefined();
  });

  it('hands over no tree for a SNAP whose pieces do not restore; the SNAP itself still comes',
  () => {
    const tree = snapTree;
    const frames = [...snapFrames(snapOf(tree), tree.capture(), 256 * 1024)]
      .map((frame) => decodePeerMessage(frame))
      .map((decoded) => (decoded.ok ? decoded.message : expect.fail(String(decoded.error))));
    const assembler = new SnapAssembler(1 << 30, () => new DataTree({}));
    frames.forEach((message, index) => {
      if (message.type !== 'snapPart') return;
      const bytes = Buffer.from(message.bytes);
      if (index === 1) bytes[bytes.length >> 1]! ^= 0x10;
      expect(assembler.addPart(2, bytes)).toBe(true);
    });
    const whole = assembler.complete(2, frames.at(-1) as PeerMessageOf<'snap'>);
    expect(whole).toBeDefined();
    expect(assembler.takeRestored(whole!.snapshot)).toBeUndefined();
    expect(() => restoreTree(new DataTree({}), whole!.snapshot)).toThrow(/checksum/);
  });
});
