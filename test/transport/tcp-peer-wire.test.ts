// The TCP peer wire format and reconnect backoff as pure functions: every message round-trips
// (through the frame decoder, one byte at a time), malformed bodies are errors with a reason,
// and backoff delays grow, stay jittered within [ceiling / 2, ceiling] and never pass the cap.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FrameDecoder } from '../../transport/frame-decoder.js';
import { reconnectDelayMs } from '../../transport/reconnect-backoff.js';
import {
  acceptorHandshakeFrameBytesMax,
  acceptorSaslFrameBytesMax,
  advertiseFrameBytesMax,
  advertisedHostBytesMax,
  decodeWireMessage,
  dialerHandshakeFrameBytesMax,
  encodeData,
  encodedDataBytes,
  encodeHello,
  encodeWireMessage,
  helloTokenBytes,
  saslChallengeBytesMax,
  saslTokenBytesMax,
  tcpPeerVersion,
  tcpPeerVersionMin,
  wireBodyBytesMax,
  wirePartBytes,
  type WireMessage,
} from '../../transport/tcp-peer-wire.js';

function token(): Buffer {
  return randomBytes(helloTokenBytes);
}

describe('tcp peer wire format', () => {
  it.each<[string, WireMessage]>([
    ['hello', { kind: 'hello', version: 1, fromId: 3, toId: 0xffff_ffff, token: token() }],
    ['welcome', { kind: 'welcome', version: 1, fromId: 1, toId: 2, token: token() }],
    ['verify', { kind: 'verify', version: 3, fromId: 1, toId: 2, token: token() }],
    ['a verdict vouching', { kind: 'verdict', vouched: true }],
    ['a verdict refusing', { kind: 'verdict', vouched: false }],
    ['refuse', { kind: 'refuse', refusal: 'callBack', detail: 'the higher id dials' }],
    ['refuse authFailed', { kind: 'refuse', refusal: 'authFailed', detail: 'wrong password' }],
    ['a SASL challenge', { kind: 'saslChallenge', token: Buffer.from('realm="r",nonce="n"') }],
    ['a SASL response', { kind: 'saslResponse', token: Buffer.from('username="u"') }],
    ['an empty SASL response', { kind: 'saslResponse', token: Buffer.alloc(0) }],
    ['a SASL success', { kind: 'saslSuccess', token: Buffer.from('rspauth=00') }],
    ['an empty data frame', { kind: 'data', frame: Buffer.alloc(0) }],
    ['a data frame', { kind: 'data', frame: Buffer.from([0, 1, 2, 255]) }],
    ['a part frame', { kind: 'part', frame: Buffer.from([9, 8, 7]) }],
    ['a goodbye with a detail', { kind: 'goodbye', cause: { reason: 'peerClosed', detail: 'x' } }],
    ['a goodbye without one', { kind: 'goodbye', cause: { reason: 'overflow' } }],
    ['an advertise frame', { kind: 'advertise', host: '127.0.0.1', port: 2888 }],
    ['an advertise frame with a name', { kind: 'advertise', host: 'zoo-3.example', port: 65535 }],
    ['an advertise frame of the longest host',
      { kind: 'advertise', host: 'h'.repeat(advertisedHostBytesMax), port: 1 }],
  ])('round-trips %s, fed one byte at a time', (_name, message) => {
    const bytes = encodeWireMessage(message);
    const decoder = new FrameDecoder(wireBodyBytesMax(1024));
    const bodies = [...bytes].flatMap((byte) => decoder.push(Buffer.from([byte])));
    expect(bodies).toHaveLength(1);
    expect(decodeWireMessage(bodies[0] as Buffer)).toEqual({ ok: true, message });
  });

  it('copies a data frame, so the sender may reuse its buffer', () => {
    const frame = Buffer.from('before');
    const [bytes, ...rest] = encodeData(frame);
    frame.write('after!');
    expect(rest).toEqual([]);
    expect(bytes!.subarray(5).toString()).toBe('before');
    expect(bytes!.readUInt32BE(0)).toBe(1 + frame.length);
    expect(encodedDataBytes(frame.length)).toBe(bytes!.length);
  });

  it('cuts a frame above wirePartBytes into parts closed by a data frame, none too large', () => {
    const frame = Buffer.alloc(2 * wirePartBytes + 10);
    for (let index = 0; index < frame.length; index += 997) frame[index] = index % 256;
    const pieces = encodeData(frame);
    expect(pieces.reduce((sum, piece) => sum + piece.length, 0))
      .toBe(encodedDataBytes(frame.length));
    const decoder = new FrameDecoder(wireBodyBytesMax(64 * wirePartBytes));
    const messages = pieces.flatMap((piece) => decoder.push(piece)).map(decodeWireMessage);
    expect(messages.map((decoded) => decoded.ok && decoded.message.kind))
      .toEqual(['part', 'part', 'data']);
    const payloads = messages.map((decoded) =>
      decoded.ok && decoded.message.kind !== 'hello' && 'frame' in decoded.message
        ? decoded.message.frame
        : Buffer.alloc(0));
    expect(payloads.map((payload) => payload.length)).toEqual([wirePartBytes, wirePartBytes, 10]);
    expect(Buffer.concat(payloads).equals(frame)).toBe(true);
    // A reader's wire limit is the part size, however large the frames it accepts.
    expect(wireBodyBytesMax(1 << 30)).toBe(wirePartBytes + 1);
    expect(wireBodyBytesMax(1024)).toBe(1025);
  });

  it('cuts a long detail so a peer cannot make us keep it', () => {
    const detail = 'x'.repeat(999);
    const bytes = encodeWireMessage({ kind: 'refuse', refusal: 'unknownId', detail });
    const decoded = decodeWireMessage(bytes.subarray(4));
    const kept = decoded.ok && decoded.message.kind === 'refuse' ? decoded.message.detail : '';
    expect(kept).toHaveLength(200);
  });

  const hello = encodeWireMessage({ kind: 'hello', version: 1, fromId: 1, toId: 2, token: token() })
    .subarray(4);
  const badMagic = Buffer.from(hello);
  badMagic.writeUInt32BE(0x12345678, 1);
  it.each([
    ['an empty body', Buffer.alloc(0), 'empty frame'],
    ['an unknown kind', Buffer.from([99]), 'unknown kind 99'],
    ['a short hello', hello.subarray(0, 10), 'hello: 10 bytes'],
    ['a hello with a bad magic', badMagic, 'hello: bad magic'],
    ['a refusal code out of range', Buffer.from([3, 42]), 'refuse: unknown refusal'],
    ['a goodbye without a reason', Buffer.from([5]), 'goodbye: unknown reason'],
    ['a SASL response over its limit', Buffer.alloc(2 + saslTokenBytesMax, 10),
      `saslResponse: ${saslTokenBytesMax + 1} bytes`],
    ['a SASL challenge over its limit', Buffer.alloc(2 + saslChallengeBytesMax, 9),
      `saslChallenge: ${saslChallengeBytesMax + 1} bytes`],
    ['an advertise frame without a host', Buffer.from([12, 0x0b, 0x48]), 'advertise: 3 bytes'],
    ['an advertise frame for port 0', Buffer.from([12, 0, 0, 0x68]), 'advertise: port 0'],
    ['an advertise frame with a host too long', Buffer.alloc(4 + advertisedHostBytesMax, 12),
      `advertise: ${4 + advertisedHostBytesMax} bytes`],
  ])('rejects %s', (_name, body, reason) => {
    const decoded = decodeWireMessage(body);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.error.reason).toBe(reason);
  });
});

describe('tcp peer wire versions', () => {
  const token16 = Buffer.from([...Array(16).keys()]);
  const address = { host: '127.0.0.1', port: 2888 };

  it('writes a version 4 hello exactly as the previous release did (golden bytes)', () => {
    const hello = { version: 4, fromId: 3, toId: 0x0102_0304, token: token16 };
    const bytes = encodeHello(hello, address);
    expect(bytes.toString('hex')).toBe(
      '0000001f' + // length: 31
        '01' + // kind: hello
        '43524c50' + // magic 'CRLP'
        '0004' + // version
        '00000003' + // from id
        '01020304' + // to id
        '000102030405060708090a0b0c0d0e0f', // token
    );
    expect(bytes).toEqual(encodeWireMessage({ kind: 'hello', ...hello }));
  });

  it('writes a version 5 hello as the same 31 bytes, then the advertise frame', () => {
    const bytes = encodeHello({ version: 5, fromId: 3, toId: 1, token: token16 }, address);
    expect(bytes.subarray(0, 35).toString('hex')).toBe(
      '0000001f0143524c500005000000030000000100' + '0102030405060708090a0b0c0d0e0f',
    );
    // 12 = advertise, port 2888 = 0x0b48, then the host in UTF-8.
    expect(bytes.subarray(35).toString('hex'))
      .toBe('0000000c' + '0c' + '0b48' + Buffer.from('127.0.0.1').toString('hex'));
    const decoder = new FrameDecoder(advertiseFrameBytesMax);
    const messages = [...bytes].flatMap((byte) => decoder.push(Buffer.from([byte])))
      .map(decodeWireMessage);
    expect(messages).toEqual([
      { ok: true, message: { kind: 'hello', version: 5, fromId: 3, toId: 1, token: token16 } },
      { ok: true, message: { kind: 'advertise', ...address } },
    ]);
  });

  it('keeps every version\'s hello within what an acceptor of any release reads first', () => {
    // An older acceptor reads only 31 bytes before the hello is believed: a newer hello must
    // fit, so it can be read and refused with badVersion rather than cut off as garbage.
    for (let version = tcpPeerVersionMin; version <= tcpPeerVersion; version++) {
      const [hello] = new FrameDecoder(acceptorHandshakeFrameBytesMax)
        .push(encodeHello({ version, fromId: 1, toId: 2, token: token16 }, address));
      expect(decodeWireMessage(hello as Buffer)).toMatchObject({ ok: true, message: { version } });
    }
  });

  it.each([
    ['an empty host', '', 1],
    ['a host past its limit', 'h'.repeat(advertisedHostBytesMax + 1), 1],
    ['port 0', 'localhost', 0],
    ['a port past 65535', 'localhost', 65_536],
  ])('refuses to advertise %s', (_name, host, port) => {
    expect(() => encodeWireMessage({ kind: 'advertise', host, port })).toThrow(RangeError);
  });
});

describe('tcp peer wire limits before the welcome', () => {
  it('lets a SASL token of its limit through the handshake frame limits, not one byte more', () => {
    const response = encodeWireMessage({
      kind: 'saslResponse', token: Buffer.alloc(saslTokenBytesMax, 0x61) });
    expect(response.length - 4).toBe(acceptorSaslFrameBytesMax);
    const challenge = encodeWireMessage({
      kind: 'saslChallenge', token: Buffer.alloc(saslChallengeBytesMax, 0x61) });
    expect(challenge.length - 4).toBeLessThanOrEqual(dialerHandshakeFrameBytesMax);
    expect(() => encodeWireMessage({
      kind: 'saslResponse', token: Buffer.alloc(saslTokenBytesMax + 1) })).toThrow(RangeError);
    // Still a few KiB: a verified replica cannot make its peer buffer more before the welcome.
    expect(Math.max(acceptorSaslFrameBytesMax, dialerHandshakeFrameBytesMax)).toBe(4097);
  });
});

describe('reconnect backoff', () => {
  const backoff = { reconnectBackoffMsBase: 100, reconnectBackoffMsMax: 5_000 };

  it.each([
    // attempt, random, delay: ceiling = min(5000, 100 · 2^attempt), delay in [ceiling/2, ceiling]
    [0, 0, 50],
    [0, 0.999_999, 100],
    [1, 0.5, 150],
    [3, 0, 400],
    [5, 0, 1_600],
    [6, 0, 2_500],
    [6, 0.999_999, 5_000],
    [40, 0.5, 3_750],
    [1_000, 0.999_999, 5_000],
  ])('attempt %i with random %d waits %i ms', (attempt, random, delayMs) => {
    expect(reconnectDelayMs(attempt, backoff, () => random)).toBe(delayMs);
  });

  it('never waits less than 1 ms nor more than the cap, whatever the random source says', () => {
    const tiny = { reconnectBackoffMsBase: 1, reconnectBackoffMsMax: 1 };
    expect(reconnectDelayMs(0, tiny, () => 0)).toBe(1);
    for (const random of [-5, 0, 0.3, 1, 7, Number.NaN]) {
      const delayMs = reconnectDelayMs(9, backoff, () => random);
      expect(delayMs).toBeGreaterThanOrEqual(1);
      expect(delayMs).toBeLessThanOrEqual(backoff.reconnectBackoffMsMax);
    }
  });
});
