// What transcripts feed the replica besides time: peer messages named as ZooKeeper names its
// packets (`receive from=3 LEADERINFO newEpoch=2`, the same names the output prints) and the txn
// bodies proposals and client requests carry. Each packet lists its arguments once, here.
import type { Txn, TxnBody } from '../../machines/replica-context.js';
import {
  peerProtocolVersion,
  type ForwardedRequestEntry,
  type PeerMessage,
  type PeerState,
  type SessionTouch,
} from '../../protocol/peer.js';
import type { CommandArguments } from './arguments.js';

const bodyTypes = ['write', 'createSession', 'closeSession', 'error'] as const;
type BodyType = (typeof bodyTypes)[number];

/** A txn body of the given type; only its type shows in transcripts. */
export function txnBodyOf(type: BodyType, sessionId: bigint): TxnBody {
  switch (type) {
    case 'write': {
      const request = {
        kind: 'create',
        opcode: 1,
        path: '/scenario',
        data: Buffer.alloc(0),
        acl: null,
        flags: 0,
        ttl: -1,
      } as const;
      return { type: 'write', request, auth: { ids: [], superUser: true } };
    }
    case 'createSession':
      return { type: 'createSession', sessionId, timeoutMs: 30_000, password: Buffer.alloc(16) };
    case 'closeSession':
      return { type: 'closeSession', sessionId };
    case 'error':
      return { type: 'error', err: -1 };
  }
}

/** `body=` (one type for all) of the txns numbered by `zxids=` (or the single `zxid=`). */
function txnsOf(given: CommandArguments): Txn[] {
  const zxids = given.has('zxids') ? given.integers('zxids') : [given.integer('zxid')];
  const body = given.choice('body', bodyTypes, 'write');
  const sessionId = given.bigint('session', 1n);
  return zxids.map((zxid, index) => ({
    zxid,
    time: 0,
    sessionId,
    cxid: index + 1,
    body: txnBodyOf(body, sessionId),
  }));
}

/** `touches=0x1:30000,0x2:4000` (session id : timeout in ms). */
export function touchesOf(given: CommandArguments): SessionTouch[] {
  const text = given.text('touches', '');
  if (text === '') return [];
  return text.split(',').map((item) => {
    const match = /^(0x[0-9a-f]+|[0-9]+):([0-9]+)$/i.exec(item);
    if (match === null) given.fail(`touches=${text}: expected session:timeoutMs,…`);
    return { sessionId: BigInt(match[1]!), timeoutMs: Number(match[2]) };
  });
}

const forwardedBodyTypes = ['write', 'createSession', 'closeSession', 'sync'] as const;

/** `bodies=write,sync` from `session=`, cxids counting up from `cxid=`. */
function forwardedRequestsOf(given: CommandArguments): ForwardedRequestEntry[] {
  const sessionId = given.bigint('session', 1n);
  const firstCxid = given.integer('cxid', 1);
  const names = given.text('bodies', 'write').split(',');
  return names.map((name, index) => {
    if (!(forwardedBodyTypes as readonly string[]).includes(name)) {
      given.fail(`bodies: ${name} is not one of ${forwardedBodyTypes.join(', ')}`);
    }
    const type = name as (typeof forwardedBodyTypes)[number];
    const body =
      type === 'sync'
        ? ({ type: 'sync', path: '/' } as const)
        : (txnBodyOf(type, sessionId) as Exclude<ForwardedRequestEntry['body'], { type: 'sync' }>);
    return { sessionId, cxid: firstCxid + index, body };
  });
}

const peerStates: readonly PeerState[] = ['looking', 'following', 'leading', 'observing'];

type MessageBuilder = (given: CommandArguments) => PeerMessage;

/** Every packet a transcript can receive, by the name describePeerMessage prints. */
const messageBuilders: Record<string, MessageBuilder> = {
  NOTIFICATION: (given) => ({
    type: 'notification',
    state: given.choice('state', peerStates),
    round: given.integer('round'),
    vote: {
      leaderId: given.integer('leader'),
      zxid: given.integer('zxid'),
      peerEpoch: given.integer('epoch'),
    },
  }),
  FOLLOWERINFO: (given) => ({
    type: 'followerInfo',
    acceptedEpoch: given.integer('acceptedEpoch'),
    protocolVersion: given.integer('protocolVersion', peerProtocolVersion),
  }),
  OBSERVERINFO: (given) => ({
    type: 'observerInfo',
    acceptedEpoch: given.integer('acceptedEpoch'),
    protocolVersion: peerProtocolVersion,
  }),
  LEADERINFO: (given) => ({
    type: 'leaderInfo',
    newEpoch: given.integer('newEpoch'),
    protocolVersion: peerProtocolVersion,
  }),
  ACKEPOCH: (given) => ({
    type: 'ackEpoch',
    currentEpoch: given.integer('currentEpoch'),
    lastZxid: given.integer('lastZxid'),
  }),
  DIFF: (given) => ({ type: 'diff', zxid: given.integer('zxid') }),
  TRUNC: (given) => ({ type: 'trunc', zxid: given.integer('zxid') }),
  SNAP: (given) => ({
    type: 'snap',
    zxid: given.integer('zxid'),
    snapshot: { formatVersion: 1, bytes: new Uint8Array(given.integer('bytes', 0)) },
  }),
  NEWLEADER: (given) => ({ type: 'newLeader', zxid: given.integer('zxid') }),
  ACK: (given) => ({ type: 'ack', zxid: given.integer('zxid') }),
  UPTODATE: () => ({ type: 'upToDate' }),
  PROPOSAL: (given) => ({ type: 'proposal', txns: txnsOf(given) }),
  COMMIT: (given) => ({ type: 'commit', zxid: given.integer('zxid') }),
  INFORM: (given) => {
    const [txn] = txnsOf(given);
    if (txn === undefined) given.fail('INFORM carries one txn: zxid=');
    return { type: 'inform', txn };
  },
  PING: (given) => ({ type: 'ping', touches: touchesOf(given) }),
  REQUEST: (given) => ({ type: 'request', requests: forwardedRequestsOf(given) }),
  REVALIDATE: (given) => ({
    type: 'revalidate',
    sessionId: given.bigint('session'),
    timeoutMs: given.integer('timeoutMs'),
  }),
  REVALIDATERESULT: (given) => ({
    type: 'revalidateResult',
    sessionId: given.bigint('session'),
    valid: given.boolean('valid'),
  }),
  SYNC: (given) => ({
    type: 'sync',
    sessionId: given.bigint('session'),
    cxid: given.integer('cxid'),
    zxid: given.integer('zxid'),
  }),
  SNAPFROM: (given) => ({ type: 'snapFrom', peer: given.integer('peer') }),
  SNAPREQUEST: (given) => ({ type: 'snapRequest', epoch: given.integer('epoch') }),
  SNAPREFUSED: () => ({ type: 'snapRefused' }),
  // Tree broadcast: `RELAYPLAN relayId= [directAcks=]`, `RELAYACKS acks=2:0x…,…`, and
  // `RELAYED leader= message=proposal|commit` with that message's own arguments.
  RELAYPLAN: (given) => ({
    type: 'relayPlan',
    relayId: given.integer('relayId'),
    ...(given.has('directAcks') ? { directAcks: given.boolean('directAcks') } : {}),
  }),
  RELAYACKS: (given) => ({
    type: 'relayAcks',
    acks: given.text('acks').split(',').map((item) => {
      const [id, zxid] = item.split(':');
      if (id === undefined || zxid === undefined) given.fail(`acks=: ${item} is not id:zxid`);
      return { id: Number(id), zxid: Number(zxid) };
    }),
  }),
  RELAYED: (given) => {
    const leaderId = given.integer('leader');
    const kind = given.choice('message', ['proposal', 'commit'] as const);
    const message = kind === 'proposal'
      ? { type: 'proposal', txns: txnsOf(given) } as const
      : { type: 'commit', zxid: given.integer('zxid') } as const;
    return { type: 'relayed', leaderId, message };
  },
};

/** The packet named by the next word of `given`, built from the rest of them. */
export function peerMessageOf(given: CommandArguments): PeerMessage {
  const name = given.word('packet name');
  const builder = Object.hasOwn(messageBuilders, name) ? messageBuilders[name] : undefined;
  if (builder === undefined) {
    given.fail(`unknown packet ${name} (one of ${Object.keys(messageBuilders).join(', ')})`);
  }
  return builder(given);
}

export { bodyTypes, type BodyType };
