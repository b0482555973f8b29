// What replicas put on a peer TCP connection: length-prefixed frames whose first byte says what
// the rest is — the handshake (hello and, from version 5, the dialer's advertised address;
// welcome, refuse, and the SASL steps between a believed hello and its welcome), a data frame
// carrying one peer message, or a goodbye naming why the sender closed. A user frame larger
// than wirePartBytes (a SNAP of a large tree) travels as part frames closed by a data frame, so
// no wire frame is ever larger than that and a reader never buffers one huge frame on a length
// prefix's word alone. Pure, so the byte layout is tested on its own.
import type { ServerId } from '../protocol/peer.js';
import type { CloseCause, CloseReason } from './transport.js';
import { assertNever } from '../protocol/assert.js';

/** 'CRLP' (corral peer): the first bytes of every hello and welcome, so a stranger is caught. */
export const tcpPeerMagic = 0x43524c50;
/**
 * The newest layout: bumped when this layout changes. Version 2 added part frames; version 3 the
 * hello token and the verify / verdict exchange; version 4 the SASL steps (saslChallenge,
 * saslResponse, saslSuccess) an acceptor may ask for before its welcome; version 5 the advertise
 * frame after the hello, so an acceptor can reach a dialer outside its configuration (a replica
 * joining by reconfig). A hello is the same 31 bytes at every version, and what a version adds
 * follows it in frames of their own: so an acceptor of any release can read a newer hello's
 * version and refuse it with badVersion, and the dialer retries one version lower.
 */
export const tcpPeerVersion = 5;
/** The oldest layout this release still speaks: the previous release's, for rolling upgrades. */
export const tcpPeerVersionMin = 4;
/** The first version whose hello is followed by an advertise frame. */
export const advertiseVersionMin = 5;

/** Random bytes a dialer puts in its hello, which the acceptor asks the claimed id about. */
export const helloTokenBytes = 16;

/**
 * The largest SASL token a frame carries: DIGEST-MD5's digest-response limit (RFC 2831 §2.1.2,
 * the JDK server's MAX_RESPONSE_LENGTH). A challenge or rspauth is smaller (saslChallengeBytesMax).
 */
export const saslTokenBytesMax = 4096;
/** RFC 2831 §2.1.1: a digest-challenge is at most 2048 bytes; rspauth is 40. */
export const saslChallengeBytesMax = 2048;

/** The longest advertised host (a DNS name is at most 253 characters), in UTF-8 bytes. */
export const advertisedHostBytesMax = 255;

/** The most user bytes one wire frame carries; a larger user frame is cut into parts. */
export const wirePartBytes = 4 * 1024 * 1024;

/** Why an acceptor refused a hello. */
export const refusals = [
  'callBack',
  'unknownId',
  'wrongTarget',
  'badVersion',
  /** The replica at the claimed id's configured address did not vouch for this hello. */
  'unverified',
  /** A hello claiming this id is already being verified. */
  'busy',
  /** quorum.auth.serverRequireSasl: the dialer did not authenticate, or its password is wrong. */
  'authFailed',
] as const;
export type Refusal = (typeof refusals)[number];

/** Ordered as the wire numbers them; never reorder, only append. */
const closeReasons: readonly CloseReason[] = [
  'closed',
  'peerClosed',
  'frameLost',
  'reset',
  'overflow',
  'error',
];

export type WireMessage =
  /**
   * Dialer → acceptor, the first frame: who I am, whom I meant to reach, and a fresh random
   * token the acceptor may ask my configured address about (verify) before it believes me.
   */
  | { kind: 'hello'; version: number; fromId: ServerId; toId: ServerId; token: Buffer }
  /**
   * Dialer → acceptor, right after a hello of version 5 or later: the quorum address the dialer
   * listens on. An acceptor that does not know the dialer's id (a replica joining by reconfig)
   * verifies the hello there and calls a lower id back there; a configured id's address is
   * always the configured one, never this.
   */
  | { kind: 'advertise'; host: string; port: number }
  /** Acceptor → dialer: the hello is accepted (its token echoed); frames flow both ways. */
  | { kind: 'welcome'; version: number; fromId: ServerId; toId: ServerId; token: Buffer }
  /**
   * Acceptor → the claimed id's configured address, on a connection of its own: "are you
   * dialing me with this token?" A stranger can claim an id but not answer at its address.
   */
  | { kind: 'verify'; version: number; fromId: ServerId; toId: ServerId; token: Buffer }
  /** The answer to verify; then the connection closes. */
  | { kind: 'verdict'; vouched: boolean }
  /**
   * Acceptor → dialer, after the hello is verified and before the welcome, when the acceptor has
   * quorum SASL enabled: the first token of its SASL server (DIGEST-MD5's digest-challenge).
   */
  | { kind: 'saslChallenge'; token: Buffer }
  /**
   * Dialer → acceptor, the answer to saslChallenge: the digest-response, or an empty token from
   * a dialer without quorum SASL (the acceptor then refuses it only if it requires SASL).
   */
  | { kind: 'saslResponse'; token: Buffer }
  /** Acceptor → dialer, the dialer authenticated: the server's last token (rspauth); a welcome
   * follows. */
  | { kind: 'saslSuccess'; token: Buffer }
  /** Acceptor → dialer, then the acceptor closes: `callBack` means "the higher id dials". */
  | { kind: 'refuse'; refusal: Refusal; detail: string }
  /** Either way once connected: one frame for the Transport's user (or its last part). */
  | { kind: 'data'; frame: Buffer }
  /** A leading piece of a user frame larger than wirePartBytes; the data frame ends it. */
  | { kind: 'part'; frame: Buffer }
  /** Either way, last: the cause the receiver should report for this connection ending. */
  | { kind: 'goodbye'; cause: CloseCause };

const kindCodes = {
  hello: 1,
  welcome: 2,
  refuse: 3,
  data: 4,
  goodbye: 5,
  part: 6,
  verify: 7,
  verdict: 8,
  saslChallenge: 9,
  saslResponse: 10,
  saslSuccess: 11,
  advertise: 12,
} as const;

/** The SASL kinds and the largest token each may carry. */
const saslTokenLimits = {
  saslChallenge: saslChallengeBytesMax,
  saslResponse: saslTokenBytesMax,
  saslSuccess: saslChallengeBytesMax,
} as const;
type SaslKind = keyof typeof saslTokenLimits;
const lengthPrefixBytes = 4;
/** Details are for logs; a peer cannot make us keep a long one. */
const detailCharactersMax = 200;
const handshakeBodyBytes = 1 + 4 + 2 + 4 + 4 + helloTokenBytes;

/**
 * The largest frame an acceptor reads before a hello is believed: a hello or a verify, nothing
 * more, so a stranger cannot make it buffer more than a few bytes per connection.
 */
export const acceptorHandshakeFrameBytesMax = handshakeBodyBytes;
/** The largest advertise frame: an acceptor reads one after a hello of version 5 or later. */
export const advertiseFrameBytesMax = 1 + 2 + advertisedHostBytesMax;
/**
 * The largest frame an acceptor reads from a verified dialer before the welcome: its
 * saslResponse, so a replica that passed verification still cannot make it buffer more.
 */
export const acceptorSaslFrameBytesMax = 1 + saslTokenBytesMax;
/**
 * The largest frame a dialer reads before the welcome: a welcome, a refusal or goodbye with a
 * detail (at most detailCharactersMax characters of UTF-8), a verdict, or a SASL challenge.
 */
export const dialerHandshakeFrameBytesMax = Math.max(
  2 + 4 * detailCharactersMax,
  1 + saslChallengeBytesMax,
);

/** A frame that does not follow this layout; the receiver closes the connection. */
export class PeerWireError extends Error {
  constructor(readonly reason: string) {
    super(`malformed peer wire frame: ${reason}`);
    this.name = 'PeerWireError';
  }
}

export type WireDecodeResult =
  | { ok: true; message: WireMessage }
  | { ok: false; error: PeerWireError };

/** The largest frame body on the wire for a given user frame limit (the kind byte is extra). */
export function wireBodyBytesMax(frameBytesMax: number): number {
  return Math.min(frameBytesMax, wirePartBytes) + 1;
}

/** Server ids travel as 32-bit unsigned integers. */
export function isWireServerId(id: number): boolean {
  return Number.isInteger(id) && id >= 0 && id <= 0xffff_ffff;
}

/** What a user frame of `frameBytes` occupies on the wire and in a send queue, parts included. */
export function encodedDataBytes(frameBytes: number): number {
  const pieces = Math.max(1, Math.ceil(frameBytes / wirePartBytes));
  return pieces * (lengthPrefixBytes + 1) + frameBytes;
}

/** One wire frame of `kind` around `payload`, with its length prefix: a copy of `payload`. */
function encodePiece(kind: number, payload: Uint8Array): Buffer {
  const buffer = Buffer.allocUnsafe(lengthPrefixBytes + 1 + payload.byteLength);
  buffer.writeUInt32BE(1 + payload.byteLength, 0);
  buffer[lengthPrefixBytes] = kind;
  buffer.set(payload, lengthPrefixBytes + 1);
  return buffer;
}

/**
 * A user frame as the wire frames that carry it: one data frame, or for a frame larger than
 * wirePartBytes, part frames then a data frame with the rest. Each is a copy, so the sender may
 * reuse its buffer.
 */
export function encodeData(frame: Uint8Array): Buffer[] {
  if (frame.byteLength <= wirePartBytes) return [encodePiece(kindCodes.data, frame)];
  const pieces: Buffer[] = [];
  let offset = 0;
  for (; frame.byteLength - offset > wirePartBytes; offset += wirePartBytes) {
    pieces.push(encodePiece(kindCodes.part, frame.subarray(offset, offset + wirePartBytes)));
  }
  pieces.push(encodePiece(kindCodes.data, frame.subarray(offset)));
  return pieces;
}

/**
 * What a dialer writes first: its hello, then at version 5 and later the advertise frame with
 * the address it listens on. A version 4 hello is exactly the previous release's bytes.
 */
export function encodeHello(
  hello: Omit<Extract<WireMessage, { kind: 'hello' }>, 'kind'>,
  advertised: { host: string; port: number },
): Buffer {
  const bytes = encodeWireMessage({ kind: 'hello', ...hello });
  if (hello.version < advertiseVersionMin) return bytes;
  return Buffer.concat([bytes, encodeWireMessage({ kind: 'advertise', ...advertised })]);
}

export function encodeWireMessage(message: WireMessage): Buffer {
  switch (message.kind) {
    case 'hello':
    case 'welcome':
    case 'verify': {
      const body = Buffer.alloc(handshakeBodyBytes);
      body[0] = kindCodes[message.kind];
      body.writeUInt32BE(tcpPeerMagic, 1);
      body.writeUInt16BE(message.version, 5);
      body.writeUInt32BE(message.fromId, 7);
      body.writeUInt32BE(message.toId, 11);
      if (message.token.length !== helloTokenBytes) throw new RangeError('bad hello token');
      message.token.copy(body, 15);
      return withLength(body);
    }
    case 'verdict':
      return withLength(Buffer.from([kindCodes.verdict, message.vouched ? 1 : 0]));
    case 'advertise':
      return encodeAdvertise(message.host, message.port);
    case 'saslChallenge':
    case 'saslResponse':
    case 'saslSuccess':
      if (message.token.length > saslTokenLimits[message.kind]) {
        throw new RangeError(`${message.kind} token of ${message.token.length} bytes`);
      }
      return encodePiece(kindCodes[message.kind], message.token);
    case 'refuse':
      return withCodeAndDetail(kindCodes.refuse, refusals.indexOf(message.refusal), message.detail);
    case 'data':
    case 'part':
      return encodePiece(kindCodes[message.kind], message.frame);
    case 'goodbye':
      return withCodeAndDetail(
        kindCodes.goodbye,
        closeReasons.indexOf(message.cause.reason),
        message.cause.detail ?? '',
      );
    default:
      return assertNever(message);
  }
}

/** One frame body (the length prefix already removed by FrameDecoder). */
export function decodeWireMessage(body: Buffer): WireDecodeResult {
  const kind = body[0];
  switch (kind) {
    case kindCodes.hello:
      return decodeHandshake('hello', body);
    case kindCodes.welcome:
      return decodeHandshake('welcome', body);
    case kindCodes.verify:
      return decodeHandshake('verify', body);
    case kindCodes.verdict: {
      if (body.length !== 2 || (body[1] !== 0 && body[1] !== 1)) return failure('bad verdict');
      return { ok: true, message: { kind: 'verdict', vouched: body[1] === 1 } };
    }
    case kindCodes.advertise:
      return decodeAdvertise(body);
    case kindCodes.saslChallenge:
      return decodeSasl('saslChallenge', body);
    case kindCodes.saslResponse:
      return decodeSasl('saslResponse', body);
    case kindCodes.saslSuccess:
      return decodeSasl('saslSuccess', body);
    case kindCodes.refuse: {
      const refusal = refusals[body[1] ?? -1];
      if (body.length < 2 || refusal === undefined) return failure('refuse: unknown refusal');
      return { ok: true, message: { kind: 'refuse', refusal, detail: detailOf(body) } };
    }
    case kindCodes.data:
      return { ok: true, message: { kind: 'data', frame: body.subarray(1) } };
    case kindCodes.part:
      return { ok: true, message: { kind: 'part', frame: body.subarray(1) } };
    case kindCodes.goodbye: {
      const reason = closeReasons[body[1] ?? -1];
      if (body.length < 2 || reason === undefined) return failure('goodbye: unknown reason');
      const detail = detailOf(body);
      const cause: CloseCause = detail === '' ? { reason } : { reason, detail };
      return { ok: true, message: { kind: 'goodbye', cause } };
    }
    default:
      return failure(kind === undefined ? 'empty frame' : `unknown kind ${kind}`);
  }
}

function decodeHandshake(kind: 'hello' | 'welcome' | 'verify', body: Buffer): WireDecodeResult {
  if (body.length !== handshakeBodyBytes) return failure(`${kind}: ${body.length} bytes`);
  if (body.readUInt32BE(1) !== tcpPeerMagic) return failure(`${kind}: bad magic`);
  return {
    ok: true,
    message: {
      kind,
      version: body.readUInt16BE(5),
      fromId: body.readUInt32BE(7),
      toId: body.readUInt32BE(11),
      token: Buffer.from(body.subarray(15, 15 + helloTokenBytes)),
    },
  };
}

function encodeAdvertise(host: string, port: number): Buffer {
  const text = Buffer.from(host, 'utf8');
  if (text.length === 0 || text.length > advertisedHostBytesMax) {
    throw new RangeError(`advertised host of ${text.length} bytes`);
  }
  if (!Number.isInteger(port) || port < 1 || port > 0xffff) {
    throw new RangeError(`advertised port ${port}`);
  }
  const body = Buffer.alloc(3 + text.length);
  body[0] = kindCodes.advertise;
  body.writeUInt16BE(port, 1);
  text.copy(body, 3);
  return withLength(body);
}

function decodeAdvertise(body: Buffer): WireDecodeResult {
  if (body.length < 4 || body.length > advertiseFrameBytesMax) {
    return failure(`advertise: ${body.length} bytes`);
  }
  const port = body.readUInt16BE(1);
  if (port === 0) return failure('advertise: port 0');
  const host = body.subarray(3).toString('utf8');
  return { ok: true, message: { kind: 'advertise', host, port } };
}

function decodeSasl(kind: SaslKind, body: Buffer): WireDecodeResult {
  const token = body.subarray(1);
  if (token.length > saslTokenLimits[kind]) return failure(`${kind}: ${token.length} bytes`);
  return { ok: true, message: { kind, token: Buffer.from(token) } };
}

function withCodeAndDetail(kind: number, code: number, detail: string): Buffer {
  const text = Buffer.from(detail.slice(0, detailCharactersMax), 'utf8');
  const body = Buffer.alloc(2 + text.length);
  body[0] = kind;
  body[1] = code;
  text.copy(body, 2);
  return withLength(body);
}

function detailOf(body: Buffer): string {
  return body.subarray(2).toString('utf8').slice(0, detailCharactersMax);
}

function withLength(body: Buffer): Buffer {
  const prefix = Buffer.alloc(lengthPrefixBytes);
  prefix.writeUInt32BE(body.length, 0);
  return Buffer.concat([prefix, body]);
}

function failure(reason: string): WireDecodeResult {
  return { ok: false, error: new PeerWireError(reason) };
}

