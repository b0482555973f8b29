// The pure rules of local sessions (actors/server/local-sessions.ts): which writes make a local
// session global (QuorumZooKeeperServer.checkUpgradeSession), and which unknown sessions the
// leader lets write (LeaderSessionTracker.checkSession), plus the tree's side of that stamp.
import { describe, expect, it } from 'vitest';
import {
  isPassedAsLocal,
  needsGlobalSession,
  serverIdOfSession,
  type WriterSession,
} from '../../../actors/server/local-sessions.js';
import { OpCode } from '../../../protocol/constants.js';
import { ErrorCode } from '../../../protocol/errors.js';
import type {
  ClientRequest, CreateRequest, SetDataRequest,
} from '../../../protocol/requests.js';
import { DataTree } from '../../../tree/data-tree.js';

function create(opcode: CreateRequest['opcode'], flags: number): CreateRequest {
  return { kind: 'create', opcode, path: '/n', data: null, acl: null, flags,
    ttl: opcode === OpCode.createTTL ? 1000 : -1 };
}

const setData: SetDataRequest = { kind: 'setData', path: '/n', data: null, version: -1 };

describe('needsGlobalSession', () => {
  it.each<[string, ClientRequest, boolean]>([
    ['create PERSISTENT', create(OpCode.create, 0), false],
    ['create EPHEMERAL', create(OpCode.create, 1), true],
    ['create PERSISTENT_SEQUENTIAL', create(OpCode.create, 2), false],
    ['create EPHEMERAL_SEQUENTIAL', create(OpCode.create, 3), true],
    ['create2 EPHEMERAL', create(OpCode.create2, 1), true],
    ['create CONTAINER', create(OpCode.create, 4), false],
    ['createContainer', create(OpCode.createContainer, 4), false],
    ['createTTL', create(OpCode.createTTL, 5), false],
    ['createTTL with an ephemeral flag (refused later)', create(OpCode.createTTL, 1), false],
    ['setData', setData, false],
    ['multi of persistent creates', { kind: 'multi', ops: [create(OpCode.create, 0)] }, false],
    ['multi with an ephemeral create',
      { kind: 'multi', ops: [setData, create(OpCode.create2, 3)] }, true],
    ['getData', { kind: 'getData', path: '/n', watch: false }, false],
  ])('%s → %s', (_name, request, expected) => {
    expect(needsGlobalSession(request)).toBe(expected);
  });
});

describe('isPassedAsLocal', () => {
  const base: WriterSession = { localSessionsEnabled: true, global: false, localHere: false,
    sessionServerId: 2, leaderId: 1 };
  it.each<[string, Partial<WriterSession>, boolean]>([
    ['another server\'s session', {}, true],
    ['local sessions off', { localSessionsEnabled: false }, false],
    ['a global session', { global: true }, false],
    ['the leader\'s own local session', { sessionServerId: 1, localHere: true }, true],
    ['an unknown session naming the leader', { sessionServerId: 1 }, false],
  ])('%s → %s', (_name, change, expected) => {
    expect(isPassedAsLocal({ ...base, ...change })).toBe(expected);
  });

  it.each<[bigint, number]>([
    [0x01_00_00_00_00_00_00_05n, 1],
    [0xff_12_34_56_78_9a_bc_den, 255],
    [0x00_12_34_56_78_9a_bc_den, 0],
  ])('reads server id of session %s as %s', (sessionId, expected) => {
    expect(serverIdOfSession(sessionId)).toBe(expected);
  });
});

describe('the tree and the localSession stamp', () => {
  const auth = { ids: [], superUser: false };
  const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
  const local = 0x02_00_00_00_00_00_00_07n;
  function write(tree: DataTree, zxid: number, flags: number, localSession: boolean) {
    const request = { ...create(OpCode.create, flags), path: `/n${zxid}`, acl: openAcl };
    return tree.apply({ zxid, sessionId: local, cxid: zxid, time: 0,
      body: { type: 'write', request, auth, ...(localSession ? { localSession } : {}) } });
  }

  it.each<[string, number, boolean, number]>([
    ['a persistent create of a stamped local session', 0, true, ErrorCode.ok],
    ['an ephemeral create of a stamped local session', 1, true, ErrorCode.sessionExpired],
    ['a persistent create of an unknown, unstamped session', 0, false, ErrorCode.sessionExpired],
  ])('%s answers %s', (_name, flags, stamped, expected) => {
    const tree = new DataTree();
    expect(write(tree, 1, flags, stamped).err).toBe(expected);
    expect(tree.ephemeralCount).toBe(0);
  });
});
