// The audit log (zoo.cfg `audit.enable=true`): one line per change a client made through this
// server and per session it opened or closed, in ZooKeeper's audit format (AuditEvent: tab-
// separated key=value pairs, session user ip operation znode znode_type acl, then result). Like
// ZooKeeper's FinalRequestProcessor, a server audits the requests of the clients connected to it
// once they are applied, and, on every replica, the ephemerals a closed session leaves behind.
// Lines go to a file of their own (audit.log in the data dir by default) for operators to ship.

import { mkdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { pino } from 'pino';
import { assertNever } from '../../protocol/assert.js';
import { createModeOf, Perm } from '../../protocol/constants.js';
import { ErrorCode } from '../../protocol/errors.js';
import type { ACL, Id } from '../../protocol/records.js';
import type { CreateRequest, MultiOp, WriteRequest } from '../../protocol/requests.js';
import type { ResponseBody } from '../../protocol/responses.js';
import { directoryMode, fileMode } from '../../storage/file-modes.js';
import type { ApplyOutcome } from '../../tree/data-tree.js';

export type AuditResult = 'success' | 'failure' | 'invoked';

/** One audited event; absent fields are left out of the line, as ZooKeeper leaves nulls out. */
export interface AuditEvent {
  session?: string;
  user?: string;
  ip?: string;
  operation: string;
  znode?: string;
  znodeType?: string;
  acl?: string;
  result: AuditResult;
}

/** The client an event is about: its session and what its connection authenticated. */
export interface AuditedClient {
  sessionId: bigint;
  /** The connection's ids in ZooKeeper's order (the `ip` id among them). */
  ids: readonly Id[];
}

/** Where lines go: a file (production) or a list (tests). */
export interface AuditSink {
  write(line: string): void;
  /** Reopens the file (after logrotate moved it). */
  reopen(): void;
  close(): Promise<void>;
}

/** ZooKeeper's AuditEvent.toString: key=value pairs joined by tabs, `result` last. */
export function formatAuditEvent(event: AuditEvent): string {
  const fields = eventFields(event);
  return `${fields}${fields === '' ? '' : '\t'}result=${event.result}`;
}

/** The event's fields before `result`, in ZooKeeper's order, absent ones left out. */
function eventFields(event: AuditEvent): string {
  const pairs: string[] = [];
  const add = (key: string, value: string | undefined) => {
    if (value !== undefined) pairs.push(`${key}=${value}`);
  };
  add('session', event.session);
  add('user', event.user);
  add('ip', event.ip);
  add('operation', event.operation);
  add('znode', event.znode);
  add('znode_type', event.znodeType);
  add('acl', event.acl);
  return pairs.join('\t');
}

/** ZooKeeper's ServerCnxn.getSessionIdHex: 0x and lower-case hex without leading zeros. */
export function sessionHex(sessionId: bigint): string {
  return `0x${BigInt.asUintN(64, sessionId).toString(16)}`;
}

/**
 * ZooKeeper's Request.getUsersForAudit: each id's user name as its provider gives it (digest:
 * the name before the colon; ip, sasl, x509: the id itself), comma-separated; ids of schemes
 * without a provider (`super`) are left out. Undefined when none is left.
 */
export function auditUsers(ids: readonly Id[]): string | undefined {
  const users: string[] = [];
  for (const { scheme, id } of ids) {
    const user = scheme === 'digest' ? id.split(':')[0] : userSchemes.has(scheme) ? id : undefined;
    if (user !== undefined && user.trim() !== '') users.push(user);
  }
  return users.length === 0 ? undefined : users.join(',');
}

const userSchemes = new Set(['ip', 'sasl', 'x509']);

/** ZooKeeper's CreateMode names, lower-cased as AuditHelper prints them. */
const createModeNames = [
  'persistent',
  'ephemeral',
  'persistent_sequential',
  'ephemeral_sequential',
  'container',
  'persistent_with_ttl',
  'persistent_sequential_with_ttl',
];

function createModeName(flags: number): string | undefined {
  return createModeOf(flags) === undefined ? undefined : createModeNames[flags];
}

/** ZKUtil.getPermString: the letters of `perms` in the order c d r w a. */
function permString(perms: number): string {
  const letters: Array<[number, string]> = [
    [Perm.create, 'c'], [Perm.delete, 'd'], [Perm.read, 'r'], [Perm.write, 'w'],
    [Perm.admin, 'a'],
  ];
  return letters.map(([bit, letter]) => ((perms & bit) !== 0 ? letter : '')).join('');
}

/**
 * ZKUtil.aclToString: `scheme:id:perms` per entry. ZooKeeper runs the entries together with no
 * separator; corral puts a comma between them, so a list of several can be read back.
 */
export function aclString(acl: readonly ACL[]): string {
  return acl.map((entry) => `${entry.id.scheme}:${entry.id.id}:${permString(entry.perms)}`)
    .join(',');
}

export interface AuditLogOptions {
  /** The user the server runs as: the `user` of its own operations (ZooKeeper's login user). */
  serverUser?: string;
  /** Milliseconds since the epoch stamped on each line (the system clock by default). */
  now?: () => number;
}

/** The OS user running the server, as Java's user.name gives ZooKeeper its system user. */
export function processUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? '<NA>';
  }
}

/** `operation=…` and the optional fields after it, in ZooKeeper's order, each tab-led. */
function operationFields(operation: string, znode?: string, znodeType?: string, acl?: string) {
  let text = `\toperation=${operation}`;
  if (znode !== undefined) text += `\tznode=${znode}`;
  if (znodeType !== undefined) text += `\tznode_type=${znodeType}`;
  if (acl !== undefined) text += `\tacl=${acl}`;
  return text;
}

/**
 * Writes the audit lines. A client's events are built as strings straight away (a busy server
 * audits every write): the session, user and ip fields once per request, then the operation.
 */
export class AuditLog {
  readonly serverUser: string;
  private readonly now: () => number;
  private stampMs = Number.NaN;
  private stamp = '';

  constructor(
    private readonly sink: AuditSink,
    options: AuditLogOptions = {},
  ) {
    this.serverUser = options.serverUser ?? processUser();
    this.now = options.now ?? Date.now;
  }

  /**
   * Writes one event: UTC time, level (ERROR for a failure, INFO otherwise, as ZooKeeper's
   * Slf4jAuditLogger logs them), then the event.
   */
  record(event: AuditEvent): void {
    this.emit(event.result, eventFields(event));
  }

  /** `fields` is the event up to its result (never empty: it holds the operation). */
  private emit(result: AuditResult, fields: string): void {
    const nowMs = this.now();
    if (nowMs !== this.stampMs) {
      this.stampMs = nowMs;
      this.stamp = new Date(nowMs).toISOString();
    }
    const level = result === 'failure' ? 'ERROR' : 'INFO';
    this.sink.write(`${this.stamp} ${level} ${fields}\tresult=${result}\n`);
  }

  /** The server started (success) or is stopping (invoked: logged before it has stopped). */
  server(operation: 'serverStart' | 'serverStop', result: AuditResult): void {
    this.record({ user: this.serverUser, operation, result });
  }

  /** A session a client opened or closed through this server. */
  session(client: AuditedClient, operation: string, result: AuditResult): void {
    this.emit(result, clientFields(client) + operationFields(operation));
  }

  /** The server expired a session (the leader, or a standalone server). */
  sessionExpired(sessionId: bigint): void {
    const session = sessionHex(sessionId);
    this.record({ session, user: this.serverUser, operation: 'expireSession', result: 'success' });
  }

  /** Ephemerals removed as their session closed or expired (ZooKeeper's DataTree.deleteNodes). */
  ephemeralsDeleted(sessionId: bigint, paths: readonly string[]): void {
    const session = sessionHex(sessionId);
    for (const znode of [...paths].sort()) {
      this.record({
        session,
        user: this.serverUser,
        operation: 'ephemeralZNodeDeletionOnSessionCloseOrExpire',
        znode,
        result: 'success',
      });
    }
  }

  /** A reconfig, rejected before the tree (reconfig is not implemented). */
  reconfig(client: AuditedClient, err: number): void {
    const result = err === ErrorCode.ok ? 'success' : 'failure';
    this.emit(result, clientFields(client) + operationFields('reconfig'));
  }

  /**
   * A listener that audits a write as it is applied, then tells `applied`: the line is written
   * before the client hears of the write, as in ZooKeeper's FinalRequestProcessor.
   */
  writeListener(
    client: AuditedClient,
    request: WriteRequest,
    applied: ((outcome: ApplyOutcome) => void) | undefined,
  ): (outcome: ApplyOutcome) => void {
    return (outcome) => {
      this.write(client, request, outcome);
      applied?.(outcome);
    };
  }

  /** An applied write, as ZooKeeper's AuditHelper.addAuditLog reports it. */
  write(client: AuditedClient, request: WriteRequest, outcome: ApplyOutcome): void {
    const result: AuditResult = outcome.err === ErrorCode.ok ? 'success' : 'failure';
    switch (request.kind) {
      case 'create': {
        const znode = createdPath(request, outcome.body);
        const fields = operationFields('create', znode, createModeName(request.flags));
        this.emit(result, clientFields(client) + fields);
        return;
      }
      case 'delete':
      case 'setData':
        this.emit(result, clientFields(client) + operationFields(request.kind, request.path));
        return;
      case 'setACL': {
        const acl = request.acl === null ? undefined : aclString(request.acl);
        const fields = operationFields('setAcl', request.path, undefined, acl);
        this.emit(result, clientFields(client) + fields);
        return;
      }
      case 'multi':
        this.multi(clientFields(client), request.ops, outcome);
        return;
      case 'check':
      case 'multiRead':
        return;
      default:
        assertNever(request);
    }
  }

  /** A multi that failed is one multiOperation failure; one that succeeded, a line per change. */
  private multi(who: string, ops: readonly MultiOp[], outcome: ApplyOutcome): void {
    const results = outcome.body.kind === 'multi' ? outcome.body.results : [];
    const failed = outcome.err !== ErrorCode.ok || results.some((item) => item.kind === 'error');
    if (failed) {
      this.emit('failure', who + operationFields('multiOperation'));
      return;
    }
    ops.forEach((op, index) => {
      const opResult = results[index];
      if (op.kind === 'create') {
        const znode = opResult?.kind === 'create' ? opResult.path : op.path;
        this.emit('success', who + operationFields('create', znode, createModeName(op.flags)));
      } else if (op.kind === 'delete' || op.kind === 'setData') {
        this.emit('success', who + operationFields(op.kind, op.path));
      }
    });
  }

  reopen(): void {
    this.sink.reopen();
  }

  close(): Promise<void> {
    return this.sink.close();
  }
}

/** `session=…` and, when known, `user=…` and `ip=…`, tab-separated. */
function clientFields(client: AuditedClient): string {
  let text = `session=${sessionHex(client.sessionId)}`;
  const user = auditUsers(client.ids);
  if (user !== undefined) text += `\tuser=${user}`;
  for (const id of client.ids) {
    if (id.scheme === 'ip') return `${text}\tip=${id.id}`;
  }
  return text;
}

/** The path a create made (with its sequence suffix), or the one it asked for if it failed. */
function createdPath(request: CreateRequest, body: ResponseBody): string {
  return body.kind === 'path' || body.kind === 'pathStat' ? body.path : request.path;
}

/**
 * The audit file, appended to with pino's asynchronous file writer (sonic-boom): created 0600
 * (its directory 0700 when missing), written a line at a time, flushed on close.
 */
export function openAuditFile(path: string): AuditSink {
  mkdirSync(dirname(path), { recursive: true, mode: directoryMode });
  const stream = pino.destination({ dest: path, append: true, sync: false, mode: fileMode });
  return {
    write: (line) => {
      stream.write(line);
    },
    reopen: () => stream.reopen(),
    close: () =>
      new Promise<void>((resolve) => {
        stream.once('close', () => resolve());
        stream.once('error', () => resolve());
        stream.end();
      }),
  };
}
