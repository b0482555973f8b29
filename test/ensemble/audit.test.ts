// The audit log across an ensemble (real processes): as in ZooKeeper, a client's requests are
// audited by the replica it is connected to, whichever replica leads, and the ephemerals its
// closed session leaves by every replica, since each one removes them.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OpCode } from '../../protocol/constants.js';
import type { CreateRequest } from '../../protocol/requests.js';
import { RawClient } from '../server/raw-client.js';
import { TestEnsemble } from '../support/ensemble.js';

let ensemble: TestEnsemble | undefined;

afterEach(async () => {
  await ensemble?.destroy();
  ensemble = undefined;
});

function create(path: string, flags: number): CreateRequest {
  return {
    kind: 'create', opcode: OpCode.create, path, data: Buffer.alloc(0),
    acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags, ttl: -1,
  };
}

/** A replica's audit events (time and level taken off), the session id written as SESSION. */
function auditEvents(target: TestEnsemble, id: number, session: string): string[] {
  let text = '';
  try {
    text = readFileSync(join(target.dir, `replica-${id}`, 'audit.log'), 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').filter((line) => line !== '')
    .map((line) => line.replace(/^\S+ \S+ /, '').replaceAll(session, 'SESSION'))
    .filter((line) => !line.includes('operation=serverStart'));
}

async function until(probe: () => boolean, timeoutMs: number, what: () => string) {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('audit log in an ensemble (real processes)', { timeout: 60_000 }, () => {
  it('audits requests where the client is connected, ephemerals everywhere (R=3)', async () => {
    ensemble = await TestEnsemble.create({ voters: 3, extraConfig: ['audit.enable=true'] });
    ensemble.startAll();
    await ensemble.waitForLeader();
    const follower = (await ensemble.followers())[0]!;
    const client = await RawClient.open(ensemble.clientPort(follower));
    const response = await client.handshake();
    if (response === 'closed') throw new Error('no session');
    const session = `0x${response.sessionId.toString(16)}`;
    expect((await client.call(1, create('/kept', 0), 10_000)).header.err).toBe(0);
    expect((await client.call(2, create('/mine', 1), 10_000)).header.err).toBe(0);
    await client.call(3, { kind: 'closeSession' }, 10_000);
    client.destroy();
    const who = 'session=SESSION\tuser=127.0.0.1\tip=127.0.0.1';
    const ephemeral = 'session=SESSION\tuser=[^\\t]+\t' +
      'operation=ephemeralZNodeDeletionOnSessionCloseOrExpire\tznode=/mine\tresult=success';
    const expectedHere = [
      `${who}\toperation=createSession\tresult=success`,
      `${who}\toperation=create\tznode=/kept\tznode_type=persistent\tresult=success`,
      `${who}\toperation=create\tznode=/mine\tznode_type=ephemeral\tresult=success`,
      ephemeral,
      `${who}\toperation=closeSession\tresult=success`,
    ];
    await until(
      () => ensemble!.ids.every((id) =>
        auditEvents(ensemble!, id, session).length === (id === follower ? 5 : 1)),
      10_000,
      () => ensemble!.ids.map((id) => auditEvents(ensemble!, id, session).join('\n')).join('\n'),
    );
    for (const id of ensemble.ids) {
      const expected = id === follower ? expectedHere : [ephemeral];
      const lines = auditEvents(ensemble, id, session);
      expect(lines).toHaveLength(expected.length);
      lines.forEach((line, index) => expect(line).toMatch(new RegExp(`^${expected[index]}$`)));
    }
  });
});
