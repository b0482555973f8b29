// The audit log of a real server process: one script of writes, ACL changes, multis and a
// reconfig on the raw wire, whose audit lines are checked one by one against the lines Apache
// ZooKeeper 3.8 logs for the same script (audit.enable=true, its Slf4jAuditLogger on the
// console), plus the lines corral adds (sessions opened, closed and expired) and the file's mode.

import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processUser } from '../../actors/server/audit.js';
import { OpCode } from '../../protocol/constants.js';
import type { ClientRequest, CreateRequest } from '../../protocol/requests.js';
import { startCorral, type CorralServer } from '../support/corral.js';
import { startZooKeeper, zookeeperAvailable, type ZooKeeperServer } from '../support/zookeeper.js';
import { RawClient } from './raw-client.js';

const servers: Array<CorralServer | ZooKeeperServer> = [];

afterEach(async () => {
  for (const server of servers.splice(0)) await server.stop();
});

const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

function create(path: string, flags = 0): CreateRequest {
  return {
    kind: 'create', opcode: OpCode.create, path, data: Buffer.from('x'), acl: openAcl, flags,
    ttl: -1,
  };
}

/** Each audited kind of operation, successes and failures, then closeSession. */
const script: ClientRequest[] = [
  create('/a'),
  create('/a'),
  { kind: 'setData', path: '/a', data: Buffer.from('y'), version: -1 },
  { kind: 'setData', path: '/nope', data: Buffer.from('y'), version: -1 },
  create('/e', 3),
  { kind: 'auth', authType: 0, scheme: 'digest', auth: Buffer.from('alice:secret') },
  { kind: 'setACL', path: '/a', acl: openAcl, version: -1 },
  { kind: 'setACL', path: '/nope', acl: openAcl, version: -1 },
  {
    kind: 'multi',
    ops: [
      create('/m1'),
      { kind: 'check', path: '/a', version: -1 },
      { kind: 'setData', path: '/a', data: Buffer.from('z'), version: -1 },
      { kind: 'delete', path: '/m1', version: -1 },
    ],
  },
  { kind: 'multi', ops: [create('/m2'), { kind: 'delete', path: '/nope', version: -1 }] },
  { kind: 'delete', path: '/nope', version: -1 },
  { kind: 'delete', path: '/a', version: -1 },
  {
    kind: 'reconfig', joiningServers: 'server.9=127.0.0.1:2888:3888', leavingServers: null,
    newMembers: null, currentConfigId: -1n,
  },
  { kind: 'closeSession' },
];

/** Runs the script on one session; returns its session id as the audit log writes it. */
async function runScript(port: number): Promise<string> {
  const client = await RawClient.open(port);
  try {
    const response = await client.handshake({ timeoutMs: 30_000 });
    if (response === 'closed') throw new Error('no session');
    let xid = 1;
    for (const request of script) {
      const id = request.kind === 'auth' ? -4 : xid++;
      await client.call(id, request, 10_000);
    }
    return `0x${response.sessionId.toString(16)}`;
  } finally {
    client.destroy();
  }
}

/** The audit events (time and level taken off) once at least `count` have been written. */
async function auditEvents(read: () => string[], count: number): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  let lines = read();
  while (lines.length < count && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    lines = read();
  }
  return lines;
}

function corralAuditLines(server: CorralServer): string[] {
  let text = '';
  try {
    text = readFileSync(join(server.dir, 'data', 'audit.log'), 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((line) => line !== '')
    .map((line) => line.replace(/^\S+ (INFO|ERROR) /, '$1 '));
}

function zookeeperAuditLines(server: ZooKeeperServer): string[] {
  return server.output().split('\n').flatMap((line) => {
    const match = /(INFO|ERROR) +\[[^\]]*Slf4jAuditLogger@\d+\] - (.*)$/.exec(line);
    return match === null ? [] : [`${match[1]} ${match[2]}`];
  });
}

const user = processUser();

/** What both servers log for the script, the session written as SESSION. */
const sharedLines = [
  `INFO user=${user}\toperation=serverStart\tresult=success`,
  ...[
    'INFO @\toperation=create\tznode=/a\tznode_type=persistent\tresult=success',
    'ERROR @\toperation=create\tznode=/a\tznode_type=persistent\tresult=failure',
    'INFO @\toperation=setData\tznode=/a\tresult=success',
    'ERROR @\toperation=setData\tznode=/nope\tresult=failure',
    'INFO @\toperation=create\tznode=/e0000000001\tznode_type=ephemeral_sequential\tresult=success',
  ].map((line) => line.replace('@', 'session=SESSION\tuser=127.0.0.1\tip=127.0.0.1')),
  ...[
    'INFO @\toperation=setAcl\tznode=/a\tacl=world:anyone:cdrwa\tresult=success',
    'ERROR @\toperation=setAcl\tznode=/nope\tacl=world:anyone:cdrwa\tresult=failure',
    'INFO @\toperation=create\tznode=/m1\tznode_type=persistent\tresult=success',
    'INFO @\toperation=setData\tznode=/a\tresult=success',
    'INFO @\toperation=delete\tznode=/m1\tresult=success',
    'ERROR @\toperation=multiOperation\tresult=failure',
    'ERROR @\toperation=delete\tznode=/nope\tresult=failure',
    'INFO @\toperation=delete\tznode=/a\tresult=success',
    'ERROR @\toperation=reconfig\tresult=failure',
  ].map((line) => line.replace('@', 'session=SESSION\tuser=alice,127.0.0.1\tip=127.0.0.1')),
  `INFO session=SESSION\tuser=${user}\toperation=ephemeralZNodeDeletionOnSessionCloseOrExpire` +
    '\tznode=/e0000000001\tresult=success',
];

/** corral's own lines: the session it opened and the one it closed, where ZooKeeper has none. */
const corralLines = [
  sharedLines[0]!,
  'INFO session=SESSION\tuser=127.0.0.1\tip=127.0.0.1\toperation=createSession\tresult=success',
  ...sharedLines.slice(1),
  'INFO session=SESSION\tuser=alice,127.0.0.1\tip=127.0.0.1\toperation=closeSession' +
    '\tresult=success',
];

describe('audit log (real server processes)', { timeout: 60_000 }, () => {
  it('logs each audited operation as its own line, in ZooKeeper\'s format', async () => {
    const corral = await startCorral({ zooCfg: ['audit.enable=true'] });
    servers.push(corral);
    const session = await runScript(corral.port);
    const lines = await auditEvents(() => corralAuditLines(corral), corralLines.length);
    expect(lines.map((line) => line.replaceAll(session, 'SESSION'))).toEqual(corralLines);
    // Each line begins with its UTC time.
    const first = readFileSync(join(corral.dir, 'data', 'audit.log'), 'utf8').split(' ')[0]!;
    expect(new Date(first).toISOString()).toBe(first);
    expect(statSync(join(corral.dir, 'data', 'audit.log')).mode & 0o777).toBe(0o600);
  });

  it.skipIf(!zookeeperAvailable())('logs what ZooKeeper 3.8 logs for the same requests',
    async () => {
      const zookeeper = await startZooKeeper({ extraConfig: ['audit.enable=true'] });
      servers.push(zookeeper);
      const session = await runScript(zookeeper.port);
      const lines = await auditEvents(() => zookeeperAuditLines(zookeeper), sharedLines.length);
      expect(lines.map((line) => line.replaceAll(session, 'SESSION'))).toEqual(sharedLines);
    });

  it('logs an expiry, and the ephemerals it removed, as the server\'s own doing', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'corral-audit-'));
    const file = join(elsewhere, 'logs', 'audit.txt');
    const corral = await startCorral({
      zooCfg: ['audit.enable=true', 'tickTime=100', `audit.logFile=${file}`],
    });
    servers.push(corral);
    const client = await RawClient.open(corral.port);
    const response = await client.handshake({ timeoutMs: 200 });
    if (response === 'closed') throw new Error('no session');
    await client.call(1, create('/gone', 1));
    client.destroy();
    const session = `0x${response.sessionId.toString(16)}`;
    const read = () => {
      try {
        return readFileSync(file, 'utf8').split('\n').filter((line) => line !== '')
          .map((line) => line.replace(/^\S+ /, '').replaceAll(session, 'SESSION'));
      } catch {
        return [];
      }
    };
    const lines = await auditEvents(read, 5);
    expect(lines.slice(3)).toEqual([
      `INFO session=SESSION\tuser=${user}\toperation=ephemeralZNodeDeletionOnSessionCloseOrExpire` +
        '\tznode=/gone\tresult=success',
      `INFO session=SESSION\tuser=${user}\toperation=expireSession\tresult=success`,
    ]);
    expect(statSync(join(elsewhere, 'logs')).mode & 0o777).toBe(0o700);
    rmSync(elsewhere, { recursive: true, force: true });
  });
});
