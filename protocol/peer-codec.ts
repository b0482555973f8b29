// The peer wire format: each PeerMessage is one msgpack frame `[tag, body]`, where the tag is the
// variant's stable number (protocol/peer.ts) and body holds its fields. Decoding checks every
// field before the result is typed, and returns a malformed frame as an error value: a bad peer
// must cost its connection, never the replica.
import { Packr } from 'msgpackr';
import {
  compactProtocolVersion,
  directAckProtocolVersion,
  peerMessageTag,
  relayedMessageTypes,
  type PeerMessage,
  type PeerMessageOf,
  type PeerMessageType,
  type RelayedAck,
  type TreeSnapshot,
} from './peer.js';
import { fieldChecks, isRecord, type FieldKind } from './peer-shapes.js';
import { packRelayedAcks, positionalTypes, unpackRelayedAcks } from './relay-frames.js';
import { packRequests, packTouches, unpackRequests, unpackTouches } from './compact-frames.js';

// Plain maps (no records) keep the format independent of structure definitions held elsewhere;
// the bigint extension keeps session ids exact.
const packr = new Packr({ useRecords: false, useBigIntExtension: true });

type BodyOf<Type extends PeerMessageType> = Omit<PeerMessageOf<Type>, 'type'>;

/** The shape of every variant's fields; typed so a new variant or field cannot be forgotten. */
const bodyFields: { [Type in PeerMessageType]: { [Field in keyof BodyOf<Type>]-?: FieldKind } } = {
  notification: { vote: 'vote', round: 'count', state: 'peerState', config: 'optionalConfig' },
  followerInfo: { acceptedEpoch: 'count', protocolVersion: 'count' },
  observerInfo: { acceptedEpoch: 'count', protocolVersion: 'count' },
  leaderInfo: { newEpoch: 'count', protocolVersion: 'count' },
  ackEpoch: { currentEpoch: 'count', lastZxid: 'zxid' },
  diff: { zxid: 'zxid' },
  trunc: { zxid: 'zxid' },
  snap: { zxid: 'zxid', snapshot: 'snapshot' },
  snapPart: { bytes: 'bytes' },
  newLeader: { zxid: 'zxid', config: 'optionalConfig' },
  ack: { zxid: 'zxid' },
  upToDate: {},
  proposal: { txns: 'txns' },
  commit: { zxid: 'zxid' },
  inform: { txn: 'txn' },
  commitAndActivate: { zxid: 'zxid', designatedLeader: 'serverId' },
  informAndActivate: { txn: 'txn', designatedLeader: 'serverId' },
  ping: { touches: 'touches' },
  request: { requests: 'forwardedRequests' },
  revalidate: { sessionId: 'bigint', timeoutMs: 'count' },
  revalidateResult: { sessionId: 'bigint', valid: 'boolean' },
  sync: { sessionId: 'bigint', cxid: 'int32', zxid: 'zxid' },
  relay: { message: 'relayedMessage', to: 'serverIds', own: 'boolean' },
  relayed: { leaderId: 'serverId', message: 'relayedMessage' },
  relayPlan: { relayId: 'count', directAcks: 'optionalBoolean' },
  relayAcks: { acks: 'relayedAcks' },
  snapFrom: { peer: 'serverId' },
  snapRequest: { epoch: 'count' },
  snapRefused: {},
};

const typeByTag = new Map<number, PeerMessageType>(
  (Object.entries(peerMessageTag) as Array<[PeerMessageType, number]>).map(([type, tag]) => [
    tag,
    type,
  ]),
);

/** Why a frame could not be decoded; the receiver closes the link it came on. */
export class PeerFrameError extends Error {
  constructor(readonly reason: string) {
    super(`malformed peer frame: ${reason}`);
    this.name = 'PeerFrameError';
  }
}

export type PeerDecodeResult =
  | { ok: true; message: PeerMessage }
  | { ok: false; error: PeerFrameError };

/**
 * The variants with a compact form (protocol/compact-frames.ts), each with the peer protocol that
 * first reads it: sent so only to a peer that announced that version or later; every replica of
 * that version reads both forms. ACK (a follower sends one per durable batch to the leader, and
 * with tree broadcast's direct ACKs every follower of a remote site does) is `[zxid]` from 5.
 */
export const compactSince: ReadonlyMap<string, number> = new Map([
  ['request', compactProtocolVersion],
  ['ping', compactProtocolVersion],
  ['ack', directAckProtocolVersion],
]);

/**
 * One frame body (the transport adds any length prefix). `compact`: the receiver reads this
 * variant's compact form (compactSince: REQUEST and PING from 4, ACK from 5); others ignore it.
 */
export function encodePeerMessage(message: PeerMessage, compact = false): Buffer {
  if (compact && message.type === 'request') {
    return packr.pack([peerMessageTag.request, packRequests(message.requests)]);
  }
  if (compact && message.type === 'ping') {
    return packr.pack([peerMessageTag.ping, packTouches(message.touches)]);
  }
  if (compact && message.type === 'ack') return packr.pack([peerMessageTag.ack, [message.zxid]]);
  const fields = bodyFields[message.type] as Record<string, FieldKind>;
  const source = message as unknown as Record<string, unknown>;
  const body: Record<string, unknown> = {};
  // An optional field left out is not written: the frame is what it was before the field.
  for (const [field, kind] of Object.entries(fields)) {
    if (source[field] === undefined) continue;
    // A relayed message travels as its own frame's bytes: the relay decodes it once, with the
    // same checks as any frame, and encodes it again for its site.
    if (kind === 'relayedMessage') body[field] = encodePeerMessage(source[field] as PeerMessage);
    else if (kind === 'relayedAcks') body[field] = packRelayedAcks(source[field] as RelayedAck[]);
    else if (kind === 'snapshot') body[field] = wireSnapshot(source[field] as TreeSnapshot);
    else body[field] = source[field];
  }
  // Tree broadcast's frames: the values in bodyFields order, without their names
  // (protocol/relay-frames.ts). A later version's optional fields come last and are left off when
  // absent, so the frame is the one an older peer reads.
  const packed = positionalTypes.has(message.type) ? positionalBody(fields, body) : body;
  return packr.pack([peerMessageTag[message.type], packed]);
}

/** A positional body (relay-frames.ts, compact-frames.ts) as the map of named fields the checks
 * read. */
function namedBody(type: PeerMessageType, body: unknown): unknown {
  if (!Array.isArray(body)) return body;
  if (type === 'request') return { requests: unpackRequests(body) };
  if (type === 'ping') return { touches: unpackTouches(body) };
  if (type === 'ack') return body.length === 1 ? { zxid: body[0] } : undefined;
  if (!positionalTypes.has(type)) return body;
  const fields = Object.entries(bodyFields[type] as Record<string, FieldKind>);
  const required = fields.filter(([, kind]) => !optionalKinds.has(kind)).length;
  if (body.length < required || body.length > fields.length) return undefined;
  return Object.fromEntries(fields.map(([field, kind], index) =>
    [field, kind === 'relayedAcks' ? unpackRelayedAcks(body[index]) : body[index]]));
}

/** Kinds that may be absent: in a positional body, only as trailing fields. */
const optionalKinds: ReadonlySet<FieldKind> = new Set(['optionalBoolean', 'optionalConfig']);

function positionalBody(
  fields: Record<string, FieldKind>,
  body: Record<string, unknown>,
): unknown[] {
  const values = Object.keys(fields).map((field) => body[field]);
  while (values.length > 0 && values[values.length - 1] === undefined) values.pop();
  return values;
}

export function decodePeerMessage(frame: Uint8Array): PeerDecodeResult {
  let decoded: unknown;
  try {
    const buffer = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    decoded = packr.unpack(buffer);
  } catch (error) {
    return failure(`not msgpack: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) return failure('not a [tag, body] pair');
  const [tag, rawBody] = decoded as [unknown, unknown];
  const type = typeof tag === 'number' ? typeByTag.get(tag) : undefined;
  if (type === undefined) return failure(`unknown tag ${String(tag)}`);
  const body = namedBody(type, rawBody);
  if (!isRecord(body)) return failure(`${type}: body is not a map`);
  const message: Record<string, unknown> = { type };
  for (const [field, kind] of Object.entries(bodyFields[type] as Record<string, FieldKind>)) {
    const problem = fieldChecks[kind](body[field]);
    if (problem !== undefined) return failure(`${type}.${field}: ${problem}`);
    if (kind === 'relayedMessage') {
      const inner = decodePeerMessage(body[field] as Uint8Array);
      if (!inner.ok) return failure(`${type}.${field}: ${inner.error.reason}`);
      if (!relayedMessageTypes.has(inner.message.type)) {
        return failure(`${type}.${field}: ${inner.message.type} is not relayed`);
      }
      message[field] = inner.message;
    } else if (kind === 'snapshot') {
      // Only the fields the wire carries (a sender's extra keys are dropped, never trusted as a
      // learner's own `pieces`).
      const { formatVersion, bytes } = body[field] as TreeSnapshot;
      message[field] = { formatVersion, bytes };
    } else if (body[field] !== undefined) {
      message[field] = body[field];
    }
  }
  return { ok: true, message: message as PeerMessage };
}

/** A SNAP's snapshot as it travels: its format and bytes. `pieces` is a learner's own (a SNAP
 * it joined from SNAPPARTs), never sent: one that has them is not a whole payload in `bytes`. */
function wireSnapshot(snapshot: TreeSnapshot): TreeSnapshot {
  if ((snapshot.pieces?.length ?? 0) > 0) {
    throw new Error('a SNAP joined from SNAPPART pieces is not sent on');
  }
  return { formatVersion: snapshot.formatVersion, bytes: snapshot.bytes };
}

function failure(reason: string): PeerDecodeResult {
  return { ok: false, error: new PeerFrameError(reason) };
}
