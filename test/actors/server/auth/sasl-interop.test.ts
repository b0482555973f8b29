// The DIGEST-MD5 server against real, independent clients: Python's pure-sasl (kazoo's SASL
// library) and the JDK SaslClient (ZooKeeper's Java client), exchanging tokens as hex lines.
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DigestMd5Server } from '../../../../actors/server/auth/sasl-digest-md5.js';
import {
  SaslExchangeFinishedError,
  SaslMalformedResponseError,
  SaslNonceMismatchError,
  SaslUnknownUserError,
  SaslWrongCredentialsError,
} from '../../../../actors/server/auth/sasl-errors.js';
import {
  ClientProcess,
  hasJava,
  hasPuresasl,
  runExchange,
  type ClientKind,
} from './sasl-clients.js';

const users = new Map([['bob', 'bobsecret'], ['zoé', 'mot de passe']]);
const newServer = (): DigestMd5Server => new DigestMd5Server({ users, randomBytes });

const clients: Array<[ClientKind, boolean]> = [['puresasl', hasPuresasl()], ['java', hasJava()]];

describe.each(clients)('DIGEST-MD5 against the %s client', (kind, available) => {
  const test = available ? it : it.skip;

  test('authenticates in two round trips and the client accepts rspauth', async () => {
    const outcome = await runExchange(newServer(), ClientProcess.start(kind, 'bob', 'bobsecret'));
    expect(outcome.serverError).toBeUndefined();
    expect(outcome.clientTokens[0]!.length).toBe(0);
    expect(outcome.evaluations.map((evaluation) => evaluation.complete)).toEqual([false, true]);
    expect(outcome.evaluations[1]!.authorizationId).toBe('bob');
    expect(outcome.clientResult).toBe('COMPLETE');
    const response = outcome.clientTokens[1]!.toString();
    expect(response).toContain('digest-uri="zookeeper/zk-sasl-md5"');
    expect(response).toContain('realm="zk-sasl-md5"');
  });

  test('refuses a wrong password', async () => {
    const outcome = await runExchange(newServer(), ClientProcess.start(kind, 'bob', 'guess'));
    expect(outcome.serverError).toBeInstanceOf(SaslWrongCredentialsError);
    expect(outcome.evaluations).toHaveLength(1);
  });

  test('refuses an unknown user', async () => {
    const outcome = await runExchange(newServer(), ClientProcess.start(kind, 'eve', 'x'));
    expect(outcome.serverError).toBeInstanceOf(SaslUnknownUserError);
  });

  test('refuses a recorded response replayed to a new exchange or a finished one', async () => {
    const server = newServer();
    const recorded = await runExchange(server, ClientProcess.start(kind, 'bob', 'bobsecret'));
    const digestResponse = recorded.clientTokens[1]!;
    expect(() => server.evaluate(digestResponse)).toThrow(SaslExchangeFinishedError);
    const replayed = await runExchange(
      newServer(), ClientProcess.start(kind, 'bob', 'bobsecret'),
      (token, index) => (index === 1 ? digestResponse : token));
    expect(replayed.serverError).toBeInstanceOf(SaslNonceMismatchError);
  });

  test('refuses a garbled response', async () => {
    const flipHash = (token: Buffer, index: number): Buffer => {
      if (index !== 1) return token;
      const text = token.toString();
      return Buffer.from(text.replace(/response=([0-9a-f])/, (_match, digit: string) =>
        `response=${digit === '0' ? '1' : '0'}`));
    };
    const truncate = (token: Buffer, index: number): Buffer =>
      index === 1 ? token.subarray(0, token.indexOf('"') + 3) : token;
    const flipped = await runExchange(
      newServer(), ClientProcess.start(kind, 'bob', 'bobsecret'), flipHash);
    expect(flipped.serverError).toBeInstanceOf(SaslWrongCredentialsError);
    const truncated = await runExchange(
      newServer(), ClientProcess.start(kind, 'bob', 'bobsecret'), truncate);
    expect(truncated.serverError).toBeInstanceOf(SaslMalformedResponseError);
  });
});

describe('DIGEST-MD5 against the JDK client with non-ASCII credentials and an authzid', () => {
  const test = hasJava() ? it : it.skip;

  // The JDK hashes Latin-1-representable names as ISO-8859-1 (RFC 2831 §2.1.2.1); so must we.
  test('authenticates zoé, authorized as zoé whatever authzid was asked', async () => {
    const outcome = await runExchange(
      newServer(), ClientProcess.start('java', 'zoé', 'mot de passe', 'someone-else'));
    expect(outcome.serverError).toBeUndefined();
    expect(outcome.clientResult).toBe('COMPLETE');
    expect(outcome.clientTokens[1]!.toString()).toContain('authzid="someone-else"');
    expect(outcome.evaluations[1]!.authorizationId).toBe('zoé');
  });
});
