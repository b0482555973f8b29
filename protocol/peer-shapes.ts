// Shape checks for decoded peer frames: each returns a problem description, or undefined when
// the value has the shape its TypeScript type promises. A frame from the network is untrusted
// (a peer on another version, a torn write), so the codec checks before anything is typed.

/** One kind per field shape the peer messages use; peer-codec.ts names a kind for each field. */
export type FieldKind =
  | 'count'
  | 'int32'
  | 'zxid'
  | 'serverId'
  | 'bigint'
  | 'boolean'
  /** A boolean a later protocol version added: absent in an older peer's frame. */
  | 'optionalBoolean'
  | 'string'
  | 'peerState'
  | 'vote'
  | 'touches'
  | 'snapshot'
  | 'bytes'
  | 'txn'
  | 'txns'
  | 'forwardedRequests'
  | 'optionalConfig'
  /** A broadcast message inside RELAY/RELAYED: its own encoded frame (peer-codec.ts). */
  | 'relayedMessage'
  | 'serverIds'
  | 'relayedAcks';

type Problem = string | undefined;
type Check = (value: unknown) => Problem;

const peerStates = new Set(['looking', 'following', 'leading', 'observing']);
const writeRequestKinds = new Set(['create', 'delete', 'setData', 'setACL', 'check', 'multi']);
/** Inside a decoded frame: far beyond any real batch, small enough to refuse a hostile one. */
const listLengthMax = 1_000_000;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) &&
    !(value instanceof Uint8Array);
}

function integerProblem(value: unknown, minimum: number, maximum: number): Problem {
  if (typeof value !== 'number' || !Number.isInteger(value)) return 'not an integer';
  if (value < minimum || value > maximum) return `${value} outside [${minimum}, ${maximum}]`;
  return undefined;
}

const count: Check = (value) => integerProblem(value, 0, Number.MAX_SAFE_INTEGER);
const int32: Check = (value) => integerProblem(value, -(2 ** 31), 2 ** 31 - 1);
const serverId: Check = (value) => integerProblem(value, 1, Number.MAX_SAFE_INTEGER);
const bigint: Check = (value) => (typeof value === 'bigint' ? undefined : 'not a bigint');
const boolean: Check = (value) => (typeof value === 'boolean' ? undefined : 'not a boolean');
const string: Check = (value) => (typeof value === 'string' ? undefined : 'not a string');
const bytes: Check = (value) => (value instanceof Uint8Array ? undefined : 'not bytes');
const finite: Check = (value) =>
  typeof value === 'number' && Number.isFinite(value) ? undefined : 'not a finite number';
const map: Check = (value) => (isRecord(value) ? undefined : 'not a map');
/** A flag a txn carries only when set (a write's enforceQuota). */
const optionalBoolean: Check = (value) => (value === undefined ? undefined : boolean(value));
const peerState: Check = (value) =>
  typeof value === 'string' && peerStates.has(value) ? undefined : 'not a peer state';

/** A map's field checks, listed once: a follower checks every txn of every PROPOSAL with them,
 * so no object, array or closure is made per check. */
type FieldList = ReadonlyArray<readonly [string, Check]>;

function fieldList(checks: Record<string, Check>): FieldList {
  return Object.entries(checks);
}

/** Checks each named field of a map, reporting the first problem as `field: problem`. */
function fieldsProblem(value: unknown, fields: FieldList): Problem {
  if (!isRecord(value)) return 'not a map';
  for (let index = 0; index < fields.length; index++) {
    const [field, check] = fields[index]!;
    const problem = check(value[field]);
    if (problem !== undefined) return `${field}: ${problem}`;
  }
  return undefined;
}

/** A check of a map's fields, its field list made once. */
function mapOf(checks: Record<string, Check>): Check {
  const fields = fieldList(checks);
  return (value) => fieldsProblem(value, fields);
}

function listProblem(value: unknown, check: Check): Problem {
  if (!Array.isArray(value)) return 'not a list';
  if (value.length > listLengthMax) return `list longer than ${listLengthMax}`;
  for (let index = 0; index < value.length; index++) {
    const problem = check(value[index]);
    if (problem !== undefined) return `[${index}] ${problem}`;
  }
  return undefined;
}

/** A check of a list whose items all pass `check`. */
function listOf(check: Check): Check {
  return (value) => listProblem(value, check);
}

const vote: Check = mapOf({ leaderId: serverId, zxid: count, peerEpoch: count });

const touches: Check = listOf(mapOf({ sessionId: bigint, timeoutMs: count }));

const snapshot: Check = mapOf({ formatVersion: count, bytes });

const id: Check = mapOf({ scheme: string, id: string });
const auth: Check = mapOf({ ids: listOf(id), superUser: boolean });

const multiRequest = mapOf({ ops: listOf(map) });
const pathRequest = mapOf({ path: string });

/**
 * The request of a replicated write, checked at its top level only: it was built by the leader's
 * own client decoder, so a peer on the same version sends nothing else.
 */
const writeRequest: Check = (value) => {
  if (!isRecord(value)) return 'not a map';
  if (typeof value.kind !== 'string' || !writeRequestKinds.has(value.kind)) {
    return `kind: not a write request kind`;
  }
  return value.kind === 'multi' ? multiRequest(value) : pathRequest(value);
};

/** The txn body variants a learner may forward (sync aside) and the leader may propose. */
const sessionAndWriteBodies: Record<string, Record<string, Check>> = {
  createSession: { sessionId: bigint, timeoutMs: count, password: bytes },
  closeSession: { sessionId: bigint },
  write: { request: writeRequest, auth, enforceQuota: optionalBoolean,
    localSession: optionalBoolean },
};

/** A map tagged by `type`, each variant with its own fields (listed once, by type). */
function variantOf(variants: Record<string, Record<string, Check>>): Check {
  const byType = new Map(Object.entries(variants).map(([type, checks]) =>
    [type, fieldList(checks)] as const));
  return (value) => {
    if (!isRecord(value)) return 'not a map';
    const fields = typeof value.type === 'string' ? byType.get(value.type) : undefined;
    if (fields === undefined) return 'type: unknown variant';
    return fieldsProblem(value, fields);
  };
}

const optionalString: Check = (value) => (value === null ? undefined : string(value));
const peerTypes = new Set(['participant', 'observer']);
const peerType: Check = (value) =>
  typeof value === 'string' && peerTypes.has(value) ? undefined : 'not a peer type';
const endpoint = mapOf({ host: string, port: count });
const server = mapOf({
  id: serverId,
  host: string,
  quorumPort: count,
  electionPort: count,
  peerType,
  client: (value) => (value === undefined ? undefined : endpoint(value)),
});
const group = mapOf({ id: count, members: listOf(serverId) });
/** A membership's sites: server ids (as msgpack's map keys) to names. */
function sitesProblem(value: unknown): Problem {
  if (!isRecord(value)) return 'not a map';
  for (const [id, site] of Object.entries(value)) {
    if (!/^\d+$/.test(id)) return `${id}: not a server id`;
    if (typeof site !== 'string') return `${id}: not a string`;
  }
  return undefined;
}
const membership = mapOf({
  servers: listOf(server),
  groups: (value) => (value === undefined ? undefined : listOf(group)(value)),
  weights: (value) => (value === undefined ? undefined : map(value)),
  sites: (value) => (value === undefined ? undefined : sitesProblem(value)),
});
/** A client's reconfig, forwarded to the leader (protocol/txn.ts ReconfigRequestBody). */
const reconfigRequest = {
  joining: optionalString,
  leaving: optionalString,
  newMembers: optionalString,
  fromConfig: (value: unknown) => integerProblem(value, -1, Number.MAX_SAFE_INTEGER),
  auth,
  authorized: optionalBoolean,
};

/** One znode of a restore txn (protocol/txn.ts RestoredNode): a tuple of 13 fields. */
const restoredNodeFields: readonly Check[] = [string,
  (value) => (value === null ? undefined : bytes(value)), count, bigint, boolean, finite, finite,
  finite, finite, finite, int32, int32, int32];
const restoredNode: Check = (value) => {
  if (!Array.isArray(value) || value.length !== restoredNodeFields.length) {
    return `not a tuple of ${restoredNodeFields.length}`;
  }
  for (let index = 0; index < restoredNodeFields.length; index++) {
    const problem = restoredNodeFields[index]!(value[index]);
    if (problem !== undefined) return `[${index}] ${problem}`;
  }
  return undefined;
};
const aclEntry = mapOf({ perms: int32, id });

const txnBody = variantOf({
  ...sessionAndWriteBodies,
  deleteContainer: { path: string },
  restore: { sourceZxid: count, acls: listOf(listOf(aclEntry)), nodes: listOf(restoredNode) },
  restoreBegin: { sourceZxid: count, nodeCount: count },
  restoreChunk: { restoreZxid: count, index: count, nodes: count, bytes },
  restoreEnd: { restoreZxid: count, chunks: count, nodes: count, digest: bigint,
    abandon: optionalBoolean },
  reconfig: { membership },
  error: { err: int32 },
});
const forwardedRequest = variantOf({
  ...sessionAndWriteBodies,
  reconfigRequest,
  error: { err: int32 },
  sync: { path: string },
});

const txn: Check =
  mapOf({ zxid: count, time: finite, sessionId: bigint, cxid: int32, body: txnBody });

const forwardedEntry = mapOf({ sessionId: bigint, cxid: int32, body: forwardedRequest });

/** A REQUEST's batch: at least one request, each with its session and cxid. */
const forwardedRequests: Check = (value) => {
  const problem = listProblem(value, forwardedEntry);
  if (problem !== undefined) return problem;
  return (value as unknown[]).length === 0 ? 'empty' : undefined;
};

/** A PROPOSAL's batch: at least one txn, zxids strictly ascending. */
const txns: Check = (value) => {
  const problem = listProblem(value, txn);
  if (problem !== undefined) return problem;
  const list = value as Array<{ zxid: number }>;
  if (list.length === 0) return 'empty';
  for (let index = 1; index < list.length; index++) {
    if (list[index]!.zxid <= list[index - 1]!.zxid) return `[${index}]: zxid out of order`;
  }
  return undefined;
};

/** A notification's configuration, when it carries one: a membership with its version. */
const versionedMembership: Check = (value) =>
  membership(value) ?? (isRecord(value) ? count(value.version) : 'not a map');
const optionalConfig: Check = (value) =>
  value === undefined ? undefined : versionedMembership(value);

export const fieldChecks: Record<FieldKind, Check> = {
  count,
  int32,
  zxid: count,
  serverId,
  bigint,
  boolean,
  optionalBoolean,
  string,
  peerState,
  vote,
  touches,
  snapshot,
  bytes,
  txn,
  txns,
  forwardedRequests,
  optionalConfig,
  relayedMessage: bytes,
  serverIds: (value) => listProblem(value, serverId),
  relayedAcks: (value) => listProblem(value, mapOf({ id: serverId, zxid: count })),
};
