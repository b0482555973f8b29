// The audit log's pure parts: ZooKeeper's AuditEvent line format, the `user` field as
// Request.getUsersForAudit builds it, ACL strings, session ids, and which lines an applied write
// turns into (AuditHelper.addAuditLog), including multi, written to an in-memory sink.

import { describe, expect, it } from 'vitest';
import {
  AuditLog,
  aclString,
  auditUsers,
  formatAuditEvent,
  sessionHex,
  type AuditEvent,
  type AuditSink,
} from '../../../actors/server/audit.js';
import { OpCode } from '../../../protocol/constants.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type { Id } from '../../../protocol/records.js';
import type { CreateRequest, WriteRequest } from '../../../protocol/requests.js';
import type { ApplyOutcome } from '../../../tree/data-tree.js';

describe('audit line format', () => {
  it.each<[string, AuditEvent, string]>([
    [
      'a client write, every field ZooKeeper knows in its order',
      {
        result: 'success', acl: 'world:anyone:r', znodeType: 'persistent', znode: '/a',
        operation: 'create', ip: '127.0.0.1', user: 'alice,127.0.0.1', session: '0x1',
      },
      'session=0x1\tuser=alice,127.0.0.1\tip=127.0.0.1\toperation=create\tznode=/a\t' +
        'znode_type=persistent\tacl=world:anyone:r\tresult=success',
    ],
    [
      'a server operation, absent fields left out',
      { user: 'zookeeper', operation: 'serverStart', result: 'success' },
      'user=zookeeper\toperation=serverStart\tresult=success',
    ],
    ['only the result', { operation: 'x', result: 'invoked' }, 'operation=x\tresult=invoked'],
  ])('formats %s', (_name, event, line) => {
    expect(formatAuditEvent(event)).toBe(line);
  });

  it.each<[string, Id[], string | undefined]>([
    ['an anonymous connection: its ip', [{ scheme: 'ip', id: '127.0.0.1' }], '127.0.0.1'],
    [
      'digest: the name before the colon, in the ids order',
      [{ scheme: 'digest', id: 'alice:hash=' }, { scheme: 'ip', id: '10.0.0.1' }],
      'alice,10.0.0.1',
    ],
    [
      'super has no provider, sasl and x509 their id',
      [{ scheme: 'super', id: '' }, { scheme: 'sasl', id: 'bob' }, { scheme: 'x509', id: 'CN=c' }],
      'bob,CN=c',
    ],
    ['nothing left', [{ scheme: 'super', id: '' }], undefined],
  ])('names the users of %s', (_name, ids, users) => {
    expect(auditUsers(ids)).toBe(users);
  });

  it.each([
    [[{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], 'world:anyone:cdrwa'],
    [[{ perms: 1 | 2, id: { scheme: 'ip', id: '10.0.0.0/8' } }], 'ip:10.0.0.0/8:rw'],
    [
      [
        { perms: 4 | 8, id: { scheme: 'digest', id: 'a:h' } },
        { perms: 16, id: { scheme: 'auth', id: '' } },
      ],
      'digest:a:h:cd,auth::a',
    ],
  ])('writes ACL %j as %s', (acl, text) => {
    expect(aclString(acl)).toBe(text);
  });

  it.each([
    [1n, '0x1'],
    [0x0100_0172_09c1_0000n, '0x100017209c10000'],
    [-1n, '0xffffffffffffffff'],
  ])('writes session %s as %s', (sessionId, text) => {
    expect(sessionHex(sessionId)).toBe(text);
  });
});

class ListSink implements AuditSink {
  readonly lines: string[] = [];
  write(line: string): void {
    this.lines.push(line);
  }
  reopen(): void {}
  async close(): Promise<void> {}
}

const client = { sessionId: 0x5n, ids: [{ scheme: 'ip', id: '127.0.0.1' }] };
const who = 'session=0x5\tuser=127.0.0.1\tip=127.0.0.1';
const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const none = { kind: 'none' } as const;

function create(path: string, flags: number): CreateRequest {
  const data = Buffer.alloc(0);
  return { kind: 'create', opcode: OpCode.create, path, data, acl, flags, ttl: -1 };
}

function outcome(err: number, body: ApplyOutcome['body'] = none): ApplyOutcome {
  return { zxid: 7, err, body, triggers: [] };
}

describe('audit lines of applied writes', () => {
  it.each<[string, WriteRequest, ApplyOutcome, string[]]>([
    [
      'a sequential create: the path it made',
      create('/q/n-', 3), outcome(0, { kind: 'path', path: '/q/n-0000000004' }),
      [`INFO ${who}\toperation=create\tznode=/q/n-0000000004\tznode_type=ephemeral_sequential` +
        '\tresult=success'],
    ],
    [
      'a failed create: the path it asked for',
      create('/a', 0), outcome(ErrorCode.nodeExists),
      [`ERROR ${who}\toperation=create\tznode=/a\tznode_type=persistent\tresult=failure`],
    ],
    [
      'setACL with its ACL',
      { kind: 'setACL', path: '/a', acl, version: -1 }, outcome(ErrorCode.noAuth),
      [`ERROR ${who}\toperation=setAcl\tznode=/a\tacl=world:anyone:cdrwa\tresult=failure`],
    ],
    ['check: nothing', { kind: 'check', path: '/a', version: 1 }, outcome(0), []],
    [
      'a multi that succeeded: a line per change, none for check',
      {
        kind: 'multi',
        ops: [
          create('/m', 2),
          { kind: 'check', path: '/a', version: 0 },
          { kind: 'setData', path: '/a', data: Buffer.alloc(0), version: -1 },
          { kind: 'delete', path: '/b', version: -1 },
        ],
      },
      outcome(0, {
        kind: 'multi',
        results: [
          { kind: 'create', path: '/m0000000001', stat: null }, { kind: 'check' },
          { kind: 'setData', stat: undefined as never }, { kind: 'delete' },
        ],
      }),
      [
        `INFO ${who}\toperation=create\tznode=/m0000000001\tznode_type=persistent_sequential` +
          '\tresult=success',
        `INFO ${who}\toperation=setData\tznode=/a\tresult=success`,
        `INFO ${who}\toperation=delete\tznode=/b\tresult=success`,
      ],
    ],
    [
      'a multi that failed: one multiOperation line',
      { kind: 'multi', ops: [create('/m', 0), { kind: 'delete', path: '/nope', version: -1 }] },
      outcome(0, {
        kind: 'multi',
        results: [{ kind: 'error', err: 0 }, { kind: 'error', err: ErrorCode.noNode }],
      }),
      [`ERROR ${who}\toperation=multiOperation\tresult=failure`],
    ],
  ])('logs %s', (_name, request, applied, lines) => {
    const sink = new ListSink();
    const audit = new AuditLog(sink, { serverUser: 'corral', now: () => 0 });
    audit.write(client, request, applied);
    expect(sink.lines).toEqual(lines.map((line) => `1970-01-01T00:00:00.000Z ${line}\n`));
  });

  it('logs server, session and ephemeral lines with the server user where the server acts', () => {
    const sink = new ListSink();
    const audit = new AuditLog(sink, { serverUser: 'corral', now: () => 0 });
    audit.server('serverStart', 'success');
    audit.session(client, 'createSession', 'success');
    audit.reconfig(client, ErrorCode.reconfigDisabled);
    audit.sessionExpired(0x5n);
    audit.ephemeralsDeleted(0x5n, ['/e1', '/e2']);
    audit.server('serverStop', 'invoked');
    expect(sink.lines.map((line) => line.slice(25, -1))).toEqual([
      'INFO user=corral\toperation=serverStart\tresult=success',
      `INFO ${who}\toperation=createSession\tresult=success`,
      `ERROR ${who}\toperation=reconfig\tresult=failure`,
      'INFO session=0x5\tuser=corral\toperation=expireSession\tresult=success',
      'INFO session=0x5\tuser=corral\toperation=ephemeralZNodeDeletionOnSessionCloseOrExpire' +
        '\tznode=/e1\tresult=success',
      'INFO session=0x5\tuser=corral\toperation=ephemeralZNodeDeletionOnSessionCloseOrExpire' +
        '\tznode=/e2\tresult=success',
      'INFO user=corral\toperation=serverStop\tresult=invoked',
    ]);
  });
});
