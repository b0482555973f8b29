// The compact form of the frames a learner sends its leader (peer protocol 4): REQUEST and the
// PING reply carry their fields by position, without names. Over a wide-area link a forwarded
// 1 KiB write was 1,197 bytes, 173 of them field names and map headers; positional it is about
// 1,080. Payloads are not compressed: a value crosses as the client sent it.
//
// Only forms that are common and flat are packed: a write whose request is a create, delete,
// setData, setACL or check, a session's creation or close, an error and a sync. A multi, or a
// reconfig, travels in its named form inside the positional entry, and the decoder takes either
// in each place. The decoder turns a positional value back into the named one, so the codec's
// field checks (protocol/peer-shapes.ts) then check it exactly as a named frame; what does not
// unpack is handed on as it is, for those checks to refuse.
import type { ForwardedRequestEntry, SessionTouch } from './peer.js';

/** The variants of a forwarded request with a positional form: their fields in wire order. */
const bodyFields = {
  write: ['request', 'auth', 'enforceQuota', 'localSession'],
  createSession: ['sessionId', 'timeoutMs', 'password'],
  closeSession: ['sessionId'],
  error: ['err'],
  sync: ['path'],
} as const satisfies Record<string, readonly string[]>;
/** Wire codes of those variants; never reused. */
const bodyCodes = ['write', 'createSession', 'closeSession', 'error', 'sync'] as const;

/** A write request's kinds with a positional form, and their fields after the kind's code. */
const requestFields = {
  create: ['opcode', 'path', 'data', 'acl', 'flags', 'ttl'],
  delete: ['path', 'version'],
  setData: ['path', 'data', 'version'],
  setACL: ['path', 'acl', 'version'],
  check: ['path', 'version'],
} as const satisfies Record<string, readonly string[]>;
const requestCodes = ['create', 'delete', 'setData', 'setACL', 'check'] as const;

/** Far beyond a real batch or an ACL list; small enough to refuse a hostile frame early. */
const itemsMax = 1_000_000;

type Named = Record<string, unknown>;

function isNamed(value: unknown): value is Named {
  return typeof value === 'object' && value !== null && !Array.isArray(value) &&
    !(value instanceof Uint8Array);
}

/** `[code, ...values]` in `fields` order; trailing absent values (optional flags) left off. */
function packFields(code: number, source: Named, fields: readonly string[]): unknown[] {
  const packed: unknown[] = [code, ...fields.map((field) => source[field])];
  while (packed.length > 1 && packed[packed.length - 1] === undefined) packed.pop();
  return packed;
}

/** The map of named fields back, or undefined when `value` is no such tuple. */
function unpackFields(
  value: readonly unknown[],
  codes: readonly string[],
  fieldsOf: Readonly<Record<string, readonly string[]>>,
  tag: 'type' | 'kind',
): Named | undefined {
  const name = typeof value[0] === 'number' ? codes[value[0]] : undefined;
  if (name === undefined) return undefined;
  const fields = fieldsOf[name]!;
  if (value.length > fields.length + 1) return undefined;
  const named: Named = { [tag]: name };
  fields.forEach((field, index) => {
    if (index + 1 < value.length) named[field] = value[index + 1];
  });
  return named;
}

/** An ACL list as flat `[perms, scheme, id, perms, scheme, id, ...]` (null stays null). */
function packAcl(acl: unknown): unknown {
  if (!Array.isArray(acl)) return acl;
  const flat: unknown[] = [];
  for (const entry of acl as Array<{ perms: unknown; id: { scheme: unknown; id: unknown } }>) {
    flat.push(entry.perms, entry.id.scheme, entry.id.id);
  }
  return flat;
}

function unpackAcl(value: unknown): unknown {
  if (!Array.isArray(value) || value.length % 3 !== 0 || value.length > 3 * itemsMax) return value;
  const acl: unknown[] = [];
  for (let index = 0; index < value.length; index += 3) {
    acl.push({ perms: value[index], id: { scheme: value[index + 1], id: value[index + 2] } });
  }
  return acl;
}

/** A session's identities as `[superUser, scheme, id, scheme, id, ...]`. */
function packAuth(auth: unknown): unknown {
  if (!isNamed(auth) || !Array.isArray(auth.ids)) return auth;
  const flat: unknown[] = [auth.superUser];
  for (const id of auth.ids as Array<{ scheme: unknown; id: unknown }>) flat.push(id.scheme, id.id);
  return flat;
}

function unpackAuth(value: unknown): unknown {
  if (!Array.isArray(value) || value.length % 2 !== 1 || value.length > 2 * itemsMax) return value;
  const ids: unknown[] = [];
  for (let index = 1; index < value.length; index += 2) {
    ids.push({ scheme: value[index], id: value[index + 1] });
  }
  return { ids, superUser: value[0] };
}

function packRequest(request: unknown): unknown {
  if (!isNamed(request)) return request;
  const code = requestCodes.indexOf(request.kind as (typeof requestCodes)[number]);
  if (code < 0) return request;
  const fields = requestFields[requestCodes[code]!];
  return packFields(code, { ...request, acl: packAcl(request.acl) }, fields);
}

function unpackRequest(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  const named = unpackFields(value, requestCodes, requestFields, 'kind');
  if (named === undefined) return value;
  if ('acl' in named) named.acl = unpackAcl(named.acl);
  return named;
}

function packBody(body: ForwardedRequestEntry['body']): unknown {
  const code = bodyCodes.indexOf(body.type as (typeof bodyCodes)[number]);
  if (code < 0) return body;
  const source = body as unknown as Named;
  if (body.type !== 'write') return packFields(code, source, bodyFields[bodyCodes[code]!]);
  return packFields(code,
    { ...source, request: packRequest(source.request), auth: packAuth(source.auth) },
    bodyFields.write);
}

function unpackBody(value: unknown): unknown {
  if (!Array.isArray(value)) return value;
  const named = unpackFields(value, bodyCodes, bodyFields, 'type');
  if (named === undefined) return value;
  if (named.type === 'write') {
    named.request = unpackRequest(named.request);
    named.auth = unpackAuth(named.auth);
  }
  return named;
}

/** A REQUEST's batch as `[[sessionId, cxid, body], ...]`. */
export function packRequests(requests: readonly ForwardedRequestEntry[]): unknown[] {
  return requests.map((entry) => [entry.sessionId, entry.cxid, packBody(entry.body)]);
}

export function unpackRequests(value: unknown): unknown {
  if (!Array.isArray(value) || value.length > itemsMax) return value;
  const entries: unknown[] = [];
  for (const entry of value) {
    if (!Array.isArray(entry) || entry.length !== 3) return value;
    entries.push({ sessionId: entry[0], cxid: entry[1], body: unpackBody(entry[2]) });
  }
  return entries;
}

/** A PING's touches as flat `[sessionId, timeoutMs, sessionId, timeoutMs, ...]`. */
export function packTouches(touches: readonly SessionTouch[]): unknown[] {
  return touches.flatMap((touch) => [touch.sessionId, touch.timeoutMs]);
}

export function unpackTouches(value: unknown): unknown {
  if (!Array.isArray(value) || value.length % 2 !== 0 || value.length > 2 * itemsMax) {
    return value;
  }
  const touches: unknown[] = [];
  for (let index = 0; index < value.length; index += 2) {
    touches.push({ sessionId: value[index], timeoutMs: value[index + 1] });
  }
  return touches;
}
