// The peer codec: every PeerMessage variant survives encode → decode unchanged (bigints and
// bytes included), tags are unique and stable, and malformed frames come back as error values.
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodePeerMessage, encodePeerMessage, PeerFrameError } from '../../protocol/peer-codec.js';
import {
  describePeerMessage,
  peerMessageTag,
  reservedPeerMessageTags,
  type PeerMessage,
  type PeerMessageType,
} from '../../protocol/peer.js';
import type { Txn } from '../../protocol/txn.js';

const largestZxid = Number.MAX_SAFE_INTEGER; // epoch 2^21 - 1, counter 2^32 - 1
const sessionId = 0x1_2345_6789_abcd_efn;

const writeTxn: Txn = {
  zxid: 0x2_0000_0007,
  time: 1_700_000_000_123,
  sessionId,
  cxid: 42,
  body: {
    type: 'write',
    request: {
      kind: 'create',
      opcode: 1,
      path: '/app/lock-',
      data: Buffer.from('payload'),
      acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }],
      flags: 3,
      ttl: -1,
    },
    auth: { ids: [{ scheme: 'ip', id: '127.0.0.1' }], superUser: false },
  },
};

const sessionTxn: Txn = {
  zxid: largestZxid,
  time: 5,
  sessionId,
  cxid: 0,
  body: { type: 'createSession', sessionId, timeoutMs: 6_000, password: Buffer.alloc(16, 7) },
};

const reconfigTxn: Txn = {
  zxid: 0x5_0000_0004,
  time: 6,
  sessionId,
  cxid: 3,
  body: {
    type: 'reconfig',
    membership: {
      servers: [
        { id: 1, host: '127.0.0.1', quorumPort: 2888, electionPort: 3888, peerType: 'participant',
          client: { host: '0.0.0.0', port: 2181 } },
        { id: 4, host: '::1', quorumPort: 2891, electionPort: 3891, peerType: 'observer' },
      ],
      groups: [{ id: 1, members: [1] }],
      weights: { 1: 2 },
    },
  },
};

/** One example of every variant; the record type makes a missing variant a compile error. */
const examples: { [Type in PeerMessageType]: Extract<PeerMessage, { type: Type }> } = {
  notification: {
    type: 'notification',
    vote: { leaderId: 3, zxid: largestZxid, peerEpoch: 2 ** 21 - 1 },
    round: 7,
    state: 'looking',
  },
  followerInfo: { type: 'followerInfo', acceptedEpoch: 4, protocolVersion: 1 },
  observerInfo: { type: 'observerInfo', acceptedEpoch: 4, protocolVersion: 1 },
  leaderInfo: { type: 'leaderInfo', newEpoch: 5, protocolVersion: 1 },
  ackEpoch: { type: 'ackEpoch', currentEpoch: 4, lastZxid: 0x4_0000_0010 },
  diff: { type: 'diff', zxid: 0x4_0000_0012 },
  trunc: { type: 'trunc', zxid: 0x3_0000_0001 },
  snap: {
    type: 'snap',
    zxid: 0x4_0000_0012,
    snapshot: { formatVersion: 1, bytes: new Uint8Array([1, 2, 3, 255]) },
  },
  snapPart: { type: 'snapPart', bytes: new Uint8Array([9, 0, 7]) },
  newLeader: { type: 'newLeader', zxid: 0x5_0000_0000 },
  ack: { type: 'ack', zxid: 0x5_0000_0000 },
  upToDate: { type: 'upToDate' },
  proposal: { type: 'proposal', txns: [writeTxn] },
  commit: { type: 'commit', zxid: writeTxn.zxid },
  inform: { type: 'inform', txn: sessionTxn },
  commitAndActivate: { type: 'commitAndActivate', zxid: 0x5_0000_0004, designatedLeader: 2 },
  informAndActivate: { type: 'informAndActivate', txn: reconfigTxn, designatedLeader: 3 },
  ping: {
    type: 'ping',
    touches: [
      { sessionId, timeoutMs: 4_000 },
      { sessionId: 1n, timeoutMs: 1 },
    ],
  },
  request: {
    type: 'request',
    requests: [
      { sessionId, cxid: -3, body: { type: 'closeSession', sessionId } },
      { sessionId: 1n, cxid: 4, body: { type: 'sync', path: '/app' } },
      {
        sessionId: 1n,
        cxid: 5,
        body: {
          type: 'reconfigRequest',
          joining: 'server.4=127.0.0.1:2891:3891;2184',
          leaving: null,
          newMembers: null,
          fromConfig: -1,
          auth: { ids: [{ scheme: 'super', id: 'super' }], superUser: true },
          authorized: true,
        },
      },
    ],
  },
  revalidate: { type: 'revalidate', sessionId, timeoutMs: 30_000 },
  revalidateResult: { type: 'revalidateResult', sessionId, valid: false },
  sync: { type: 'sync', sessionId, cxid: 9, zxid: 0x5_0000_0003 },
  relay: {
    type: 'relay',
    message: { type: 'commit', zxid: 0x5_0000_0002 },
    to: [4, 5],
    own: true,
  },
  relayed: { type: 'relayed', leaderId: 1, message: { type: 'commit', zxid: 0x5_0000_0002 } },
  relayPlan: { type: 'relayPlan', relayId: 3 },
  relayAcks: { type: 'relayAcks', acks: [{ id: 4, zxid: 0x5_0000_0002 }, { id: 5, zxid: 7 }] },
  snapFrom: { type: 'snapFrom', peer: 4 },
  snapRequest: { type: 'snapRequest', epoch: 5 },
  snapRefused: { type: 'snapRefused' },
};

const packr = new Packr({ useRecords: false, useBigIntExtension: true });

/** Decodes and insists on success, so a failure shows its reason. */
function roundTrip(message: PeerMessage): PeerMessage {
  const result = decodePeerMessage(encodePeerMessage(message));
  if (!result.ok) throw result.error;
  return result.message;
}

/** Bytes come back as Buffer views; compare contents, not classes. */
function comparable(value: unknown): unknown {
  if (value instanceof Uint8Array) return { bytes: [...value] };
  if (Array.isArray(value)) return value.map(comparable);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, comparable(item)]));
  }
  return value;
}

describe('peer codec round trip', () => {
  it.each(Object.values(examples).map((message) => [message.type, message] as const))(
    'round-trips %s',
    (_type, message) => {
      const decoded = roundTrip(message);
      expect(decoded.type).toBe(message.type);
      expect(comparable(decoded)).toEqual(comparable(message));
    },
  );

  it('keeps bigints as bigints and zxids exact up to 2^53 - 1', () => {
    const decoded = roundTrip(examples.inform);
    if (decoded.type !== 'inform') throw new Error('wrong variant');
    expect(decoded.txn.zxid).toBe(Number.MAX_SAFE_INTEGER);
    expect(decoded.txn.sessionId).toBe(sessionId);
    if (decoded.txn.body.type !== 'createSession') throw new Error('wrong body');
    expect(Buffer.from(decoded.txn.body.password)).toEqual(Buffer.alloc(16, 7));
  });

  it.each([
    ['a forwarded write', { ...writeTxn.body, auth: { ids: [], superUser: true } }],
    ['a forwarded sync', { type: 'sync', path: '/app' }],
    [
      'a forwarded createSession',
      { type: 'createSession', sessionId: 5n, timeoutMs: 10, password: Buffer.alloc(16) },
    ],
    ['a forwarded rejection (reconfig disabled)', { type: 'error', err: -123 }],
  ])('round-trips request carrying %s', (_case, body) => {
    const message =
      { type: 'request', requests: [{ sessionId: 5n, cxid: 1, body }] } as PeerMessage;
    expect(comparable(roundTrip(message))).toEqual(comparable(message));
  });

  it('puts only declared fields on the wire', () => {
    const noisy = { ...examples.ack, extra: 'dropped' } as PeerMessage;
    expect(roundTrip(noisy)).toEqual({ type: 'ack', zxid: examples.ack.zxid });
  });

  it('reads a SNAP\'s snapshot as its format and bytes only; never sends a joined one', () => {
    // `pieces` is a learner's own record of a SNAP it joined: a sender's copy is not taken.
    const bytes = Buffer.from('payload');
    const frame = packr.pack([15, { zxid: 7, snapshot: { formatVersion: 2, bytes,
      pieces: ['not', 'bytes'] } }]);
    const decoded = decodePeerMessage(frame);
    expect(decoded.ok && decoded.message).toEqual({ type: 'snap', zxid: 7,
      snapshot: { formatVersion: 2, bytes } });
    const joined = { type: 'snap', zxid: 7,
      snapshot: { formatVersion: 2, bytes, pieces: [Buffer.from('first')] } } as PeerMessage;
    expect(() => encodePeerMessage(joined)).toThrow(/not sent on/);
  });
});

describe('peer message tags', () => {
  it('gives every variant a distinct tag outside the reserved ones', () => {
    const tags = Object.values(peerMessageTag);
    expect(new Set(tags).size).toBe(tags.length);
    for (const reserved of reservedPeerMessageTags) expect(tags).not.toContain(reserved);
  });

  // Changing a number breaks every replica on the old version: this table is the wire contract.
  it('keeps the published numbers', () => {
    expect(peerMessageTag).toEqual({
      request: 1, proposal: 2, ack: 3, commit: 4, ping: 5, revalidate: 6, sync: 7, inform: 8,
      commitAndActivate: 9, informAndActivate: 19, newLeader: 10, followerInfo: 11, upToDate: 12,
      diff: 13, trunc: 14, snap: 15,
      observerInfo: 16, leaderInfo: 17, ackEpoch: 18, snapPart: 20, notification: 32,
      revalidateResult: 33, relay: 34, relayed: 35, relayPlan: 36, relayAcks: 37,
      snapFrom: 38, snapRequest: 39, snapRefused: 40,
    });
  });

  it('refuses a RELAY carrying a message a relay does not pass on (an ACK)', () => {
    const inner = encodePeerMessage({ type: 'ack', zxid: 3 });
    const frame = packr.pack([34, { message: inner, to: [2], own: false }]);
    const decoded = decodePeerMessage(frame);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error.reason).toMatch(/relay\.message: ack is not relayed/);
  });

  it('frames a message as [tag, body]', () => {
    const { zxid } = examples.commit;
    expect(packr.unpack(encodePeerMessage(examples.commit))).toEqual([4, { zxid }]);
  });
});

describe('describePeerMessage', () => {
  it('names every variant as ZooKeeper names the packet, one line each', () => {
    const lines = Object.values(examples).map(describePeerMessage);
    expect(lines).toHaveLength(Object.keys(peerMessageTag).length);
    for (const line of lines) expect(line).toMatch(/^[A-Z]+( |$)/);
    expect(describePeerMessage(examples.proposal)).toBe('PROPOSAL 0x200000007 write');
    expect(describePeerMessage(examples.notification)).toBe(
      'NOTIFICATION looking round 7 vote 3 zxid 0x1fffffffffffff epoch 2097151',
    );
  });
});

describe('malformed peer frames are error values', () => {
  const frame = (value: unknown) => packr.pack(value);
  const ackBody = { zxid: 1 };
  const vote = (leaderId: number) => ({ leaderId, zxid: 0, peerEpoch: 0 });
  const proposalWith = (body: unknown) => frame([2, { txns: [{ ...writeTxn, body }] }]);
  const readAsWrite = { kind: 'getData', path: '/' };
  const noAuth = { ids: [], superUser: false };
  it.each([
    ['empty bytes', Buffer.alloc(0), /not msgpack/],
    ['truncated msgpack', encodePeerMessage(examples.proposal).subarray(0, 10), /not msgpack/],
    [
      'trailing bytes',
      Buffer.concat([encodePeerMessage(examples.ack), Buffer.from([0])]),
      /not msgpack/,
    ],
    ['a bare map', frame({ tag: 3 }), /not a \[tag, body\] pair/],
    ['a three-element array', frame([3, ackBody, 1]), /pair/],
    ['an unknown tag', frame([99, ackBody]), /unknown tag 99/],
    ['a body of another variant', frame([9, ackBody]), /commitAndActivate\.designatedLeader/],
    ['a string tag', frame(['ack', ackBody]), /unknown tag ack/],
    ['a body that is not a map', frame([4, [1]]), /commit: body is not a map/],
    ['a missing field', frame([3, {}]), /ack\.zxid: not an integer/],
    ['a negative zxid', frame([3, { zxid: -1 }]), /ack\.zxid/],
    ['a fractional zxid', frame([3, { zxid: 1.5 }]), /ack\.zxid/],
    ['an unsafe zxid', frame([3, { zxid: 2 ** 60 }]), /ack\.zxid/],
    ['a bad peer state', frame([32, { vote: vote(1), round: 1, state: 'sleeping' }]), /state/],
    ['server id 0 in a vote', frame([32, { vote: vote(0), round: 1, state: 'looking' }]), /Id/],
    ['a number for a bigint', frame([6, { sessionId: 5, timeoutMs: 1 }]), /not a bigint/],
    ['a txn with an unknown body', proposalWith({ type: 'explode' }), /body: type/],
    ['an empty proposal batch', frame([2, { txns: [] }]), /txns: empty/],
    [
      'a proposal batch out of zxid order',
      frame([2, { txns: [writeTxn, { ...writeTxn, zxid: writeTxn.zxid - 1 }] }]),
      /zxid out of order/,
    ],
    ['a body named after a prototype key', proposalWith({ type: 'toString' }), /unknown variant/],
    [
      'a write of a read request',
      proposalWith({ type: 'write', request: readAsWrite, auth: noAuth }),
      /write request kind/,
    ],
    ['a touch list that is a map', frame([5, { touches: {} }]), /touches: not a list/],
    [
      'snapshot bytes as a string',
      frame([15, { zxid: 1, snapshot: { formatVersion: 1, bytes: 'abc' } }]),
      /bytes: not bytes/,
    ],
    [
      'a forwarded housekeeping request',
      frame([1, { requests: [{ sessionId: 1n, cxid: 1, body: { type: 'deleteContainer' } }] }]),
      /unknown variant/,
    ],
    ['an empty request batch', frame([1, { requests: [] }]), /requests: empty/],
    [
      'a request batch entry without its session',
      frame([1, { requests: [{ cxid: 1, body: { type: 'sync', path: '/' } }] }]),
      /sessionId/,
    ],
    ['a cxid beyond 32 bits', frame([7, { sessionId: 1n, cxid: 2 ** 31, zxid: 1 }]), /cxid/],
    ['a reserved msgpack byte', Buffer.from([0xc1]), /pair/],
  ])('rejects %s', (_case, bytes, reason) => {
    const result = decodePeerMessage(bytes);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(PeerFrameError);
    expect(result.error.message).toMatch(reason);
  });

  it('never throws on arbitrary bytes (1,000 seeded random frames)', () => {
    let state = 0x2545f491;
    const nextByte = () => {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state & 0xff;
    };
    for (let index = 0; index < 1_000; index++) {
      const bytes = Buffer.from(Array.from({ length: 1 + (index % 40) }, nextByte));
      expect(() => decodePeerMessage(bytes)).not.toThrow();
    }
  });

  it('rejects every single-byte truncation of a valid frame', () => {
    const encoded = encodePeerMessage(examples.proposal);
    for (let length = 0; length < encoded.length; length++) {
      expect(decodePeerMessage(encoded.subarray(0, length)).ok).toBe(false);
    }
  });
});
