// Tree broadcast's frames on the wire (protocol/relay-frames.ts): positional bodies, RELAYACKS as
// groups per zxid, the named form still read, and a malformed group refused like any bad frame.
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { decodePeerMessage, encodePeerMessage } from '../../protocol/peer-codec.js';
import type { PeerMessage } from '../../protocol/peer.js';

const packr = new Packr({ useRecords: false, useBigIntExtension: true });
const zxid = 0x5_0000_0123;

function decoded(frame: Uint8Array): PeerMessage {
  const result = decodePeerMessage(frame);
  if (!result.ok) throw result.error;
  return result.message;
}

describe('tree broadcast frames', () => {
  it('sends RELAYACKS as one group per zxid and reads back each ACK in order of its group', () => {
    const acks = [{ id: 4, zxid }, { id: 5, zxid: zxid + 1 }, { id: 6, zxid }];
    const frame = encodePeerMessage({ type: 'relayAcks', acks });
    expect(packr.unpack(frame)).toEqual([37, [[[zxid, 4, 6], [zxid + 1, 5]]]]);
    expect(decoded(frame)).toEqual({
      type: 'relayAcks',
      acks: [{ id: 4, zxid }, { id: 6, zxid }, { id: 5, zxid: zxid + 1 }],
    });
  });

  it('puts no field names on a RELAY: its frame is smaller than the named form', () => {
    const message = { type: 'commit', zxid } as const;
    const relay: PeerMessage = { type: 'relay', message, to: [5, 6], own: true };
    const frame = encodePeerMessage(relay);
    const named = packr.pack([34, { message: encodePeerMessage(message), to: [5, 6], own: true }]);
    expect(frame.length).toBeLessThan(named.length);
    expect(decoded(frame)).toEqual(relay);
  });

  it('writes RELAYPLAN without directAcks as before, and directAcks as one more value', () => {
    // Without the field the frame is the one a replica of peer protocol 4 wrote and reads.
    const plain = encodePeerMessage({ type: 'relayPlan', relayId: 4 });
    expect(packr.unpack(plain)).toEqual([36, [4]]);
    expect(decoded(plain)).toEqual({ type: 'relayPlan', relayId: 4 });
    const direct: PeerMessage = { type: 'relayPlan', relayId: 4, directAcks: true };
    const frame = encodePeerMessage(direct);
    expect(packr.unpack(frame)).toEqual([36, [4, true]]);
    expect(decoded(frame)).toEqual(direct);
  });

  it('still reads the named form of each tree broadcast frame', () => {
    const inner = encodePeerMessage({ type: 'commit', zxid });
    expect(decoded(packr.pack([34, { message: inner, to: [2], own: false }]))).toEqual({
      type: 'relay', message: { type: 'commit', zxid }, to: [2], own: false,
    });
    expect(decoded(packr.pack([35, { leaderId: 3, message: inner }]))).toEqual({
      type: 'relayed', leaderId: 3, message: { type: 'commit', zxid },
    });
    expect(decoded(packr.pack([36, { relayId: 0 }]))).toEqual({ type: 'relayPlan', relayId: 0 });
    expect(decoded(packr.pack([37, { acks: [{ id: 2, zxid }] }]))).toEqual({
      type: 'relayAcks', acks: [{ id: 2, zxid }],
    });
  });

  it.each([
    ['a group without ids', [37, [[[zxid]]]], /relayAcks\.acks/],
    ['an id that is no server id', [37, [[[zxid, 0]]]], /relayAcks\.acks: \[0\] id/],
    ['a zxid that is not a count', [37, [[[-1, 2]]]], /relayAcks\.acks: \[0\] zxid/],
    ['groups that are not a list', [37, [7]], /relayAcks\.acks/],
    ['a body of the wrong length', [36, [1, true, 2]], /relayPlan: body is not a map/],
    ['a body missing its required field', [36, []], /relayPlan: body is not a map/],
    ['a directAcks that is not a boolean', [36, [1, 2]], /relayPlan\.directAcks: not a boolean/],
    ['a RELAY whose message is no frame', [34, [Buffer.from([1]), [2], true]], /relay\.message/],
  ])('refuses %s', (_case, body, reason) => {
    const result = decodePeerMessage(packr.pack(body));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.reason).toMatch(reason);
  });
});
