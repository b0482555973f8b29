// Peer protocol 4's compact REQUEST and PING (protocol/compact-frames.ts): each form reads back as
// the message sent, the named form is still read, a compact frame is checked as a named one, and
// a replica sends the compact form only to a peer that announced version 4 (a rolling upgrade's
// older leader gets the named frames it reads).
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { PeerFrames } from '../../actors/replica/peer-frames.js';
import { decodePeerMessage, encodePeerMessage } from '../../protocol/peer-codec.js';
import type { ForwardedRequestEntry, PeerMessage } from '../../protocol/peer.js';

const packr = new Packr({ useRecords: false, useBigIntExtension: true });
const sessionId = 0x1_0000_1234_5678n;
const auth = { ids: [{ scheme: 'ip', id: '127.0.0.5' }, { scheme: 'digest', id: 'u:h' }],
  superUser: false };
const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const value = Buffer.alloc(1024, 7);

function decoded(frame: Uint8Array): PeerMessage {
  const result = decodePeerMessage(frame);
  if (!result.ok) throw result.error;
  return result.message;
}

function request(body: ForwardedRequestEntry['body']): PeerMessage {
  return { type: 'request', requests: [{ sessionId, cxid: 42, body }] };
}

const bodies: Array<[string, ForwardedRequestEntry['body']]> = [
  ['setData', { type: 'write', request: { kind: 'setData', path: '/a', data: value, version: -1 },
    auth }],
  ['a create with null data and an ACL', { type: 'write', request: { kind: 'create', opcode: 1,
    path: '/b', data: null, acl: openAcl, flags: 0, ttl: -1 }, auth }],
  ['a TTL create without ACL', { type: 'write', request: { kind: 'create', opcode: 21,
    path: '/c', data: value, acl: null, flags: 5, ttl: 60_000 }, auth: { ids: [],
    superUser: true } }],
  ['delete', { type: 'write', request: { kind: 'delete', path: '/d', version: 3 }, auth }],
  ['check', { type: 'write', request: { kind: 'check', path: '/d', version: 3 }, auth }],
  ['setACL', { type: 'write', request: { kind: 'setACL', path: '/e', acl: openAcl, version: 0 },
    auth, enforceQuota: true, localSession: true }],
  ['multi (named inside)', { type: 'write', request: { kind: 'multi', ops: [
    { kind: 'delete', path: '/f', version: -1 }] }, auth }],
  ['createSession', { type: 'createSession', sessionId, timeoutMs: 6000,
    password: Buffer.alloc(16, 1) }],
  ['closeSession', { type: 'closeSession', sessionId }],
  ['error', { type: 'error', err: -101 }],
  ['sync', { type: 'sync', path: '/g' }],
  ['reconfig (named inside)', { type: 'reconfigRequest', joining: 'server.4=h:1:2', leaving: null,
    newMembers: null, fromConfig: -1, auth, authorized: true }],
];

describe('compact REQUEST and PING frames', () => {
  it.each(bodies)('reads back a REQUEST of %s in both forms', (_name, body) => {
    const message = request(body);
    const compact = encodePeerMessage(message, true);
    expect(decoded(compact)).toEqual(message);
    expect(decoded(encodePeerMessage(message))).toEqual(message);
    expect(compact.length).toBeLessThanOrEqual(encodePeerMessage(message).length);
  });

  it('carries a forwarded 1 KiB setData with under 64 bytes beside its value', () => {
    const message = request(bodies[0]![1]);
    const named = encodePeerMessage(message).length;
    const compact = encodePeerMessage(message, true).length;
    expect(compact - value.length).toBeLessThan(64 + 'digest'.length + 'u:h'.length + 2);
    expect(named - compact).toBeGreaterThan(100);
    expect(Array.isArray(packr.unpack(encodePeerMessage(message, true))[1])).toBe(true);
  });

  it('reads back a PING reply with touches, and an empty PING, in both forms', () => {
    const touches = [{ sessionId, timeoutMs: 6000 }, { sessionId: sessionId + 1n,
      timeoutMs: 30_000 }];
    const pings: PeerMessage[] = [{ type: 'ping', touches }, { type: 'ping', touches: [] }];
    for (const message of pings) {
      expect(decoded(encodePeerMessage(message, true))).toEqual(message);
      expect(decoded(encodePeerMessage(message))).toEqual(message);
    }
    const both: PeerMessage = { type: 'ping', touches };
    expect(encodePeerMessage(both, true).length).toBeLessThan(encodePeerMessage(both).length);
  });

  it.each([
    ['an unknown body code', [1, [[sessionId, 1, [9, '/x']]]], /request\.requests/],
    ['a body with too many fields', [1, [[sessionId, 1, [4, '/x', 7]]]], /request\.requests/],
    ['an entry of two', [1, [[sessionId, 1]]], /request\.requests/],
    ['a setData without its path', [1, [[sessionId, 1, [0, [2], [false]]]]],
      /request\.requests: \[0\] body: request: path/],
    ['an auth of even length', [1, [[sessionId, 1, [0, [1, '/x', 0], [false, 'ip']]]]],
      /request\.requests: \[0\] body: auth/],
    ['an empty batch', [1, []], /request\.requests: empty/],
    ['touches of odd length', [5, [sessionId]], /ping\.touches/],
    ['a touch with no bigint', [5, [1, 2]], /ping\.touches: \[0\] sessionId/],
  ])('refuses %s', (_case, frame, reason) => {
    const result = decodePeerMessage(packr.pack(frame));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.reason).toMatch(reason);
  });
});

describe('compact frames across a rolling upgrade', () => {
  const message = request(bodies[0]![1]);
  const isCompact = (frame: Uint8Array) => Array.isArray(packr.unpack(frame)[1]);
  const leaderInfo = (protocolVersion: number) =>
    ({ type: 'leaderInfo', newEpoch: 2, protocolVersion }) as const;

  it('sends a leader of peer protocol 3 the named REQUEST, one of 4 the compact', () => {
    const frames = new PeerFrames(() => undefined, () => 4);
    // Before the leader said its version: the form every release reads.
    expect(isCompact(frames.frameTo(1, message))).toBe(false);
    frames.heard(1, leaderInfo(3));
    const named = frames.frameTo(1, message);
    expect(isCompact(named)).toBe(false);
    // An older leader's decoder: the body is the map it always read.
    expect(packr.unpack(named)[1]).toHaveProperty('requests');
    frames.heard(1, leaderInfo(4));
    const compact = frames.frameTo(1, message);
    expect(isCompact(compact)).toBe(true);
    expect(decoded(compact)).toEqual(decoded(named));
    // The leader restarted as an older release: named again.
    frames.heard(1, leaderInfo(3));
    expect(isCompact(frames.frameTo(1, message))).toBe(false);
  });

  it('a replica speaking an older protocol never sends the compact form', () => {
    const frames = new PeerFrames(() => undefined, () => 3);
    frames.heard(1, leaderInfo(4));
    expect(isCompact(frames.frameTo(1, message))).toBe(false);
  });

  it('a leader pings each learner in the form it announced (FOLLOWERINFO)', () => {
    const frames = new PeerFrames(() => undefined, () => 4);
    frames.heard(2, { type: 'followerInfo', acceptedEpoch: 1, protocolVersion: 4 });
    frames.heard(3, { type: 'observerInfo', acceptedEpoch: 1, protocolVersion: 2 });
    const ping: PeerMessage = { type: 'ping', touches: [] };
    expect(isCompact(frames.frameTo(2, ping))).toBe(true);
    expect(isCompact(frames.frameTo(3, ping))).toBe(false);
    expect(isCompact(frames.frameTo(2, ping))).toBe(true);
  });
});

describe('compact ACK (peer protocol 5)', () => {
  const zxid = 0x2_0000_0041;
  const ack: PeerMessage = { type: 'ack', zxid };
  const leaderInfo = (protocolVersion: number) =>
    ({ type: 'leaderInfo', newEpoch: 2, protocolVersion }) as const;

  it('sends a leader of peer protocol 4 the named ACK, one of 5 the smaller compact one', () => {
    const frames = new PeerFrames(() => undefined, () => 5);
    frames.heard(1, leaderInfo(4));
    const named = frames.frameTo(1, ack);
    expect(packr.unpack(named)).toEqual([3, { zxid }]);
    frames.heard(1, leaderInfo(5));
    const compact = frames.frameTo(1, ack);
    expect(packr.unpack(compact)).toEqual([3, [zxid]]);
    expect(compact.length).toBeLessThan(named.length);
    expect(decoded(compact)).toEqual(ack);
    expect(decoded(named)).toEqual(ack);
    // A replica speaking protocol 4 sends the named form even to a leader of 5.
    const older = new PeerFrames(() => undefined, () => 4);
    older.heard(1, leaderInfo(5));
    expect(packr.unpack(older.frameTo(1, ack))).toEqual([3, { zxid }]);
  });

  it.each([
    ['an empty body', [3, []], /ack: body is not a map/],
    ['two values', [3, [zxid, 1]], /ack: body is not a map/],
    ['a zxid that is not a count', [3, [-1]], /ack\.zxid/],
  ])('refuses a compact ACK with %s', (_case, body, reason) => {
    const result = decodePeerMessage(packr.pack(body));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.reason).toMatch(reason);
  });
});
