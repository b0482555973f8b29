// DIGEST-MD5 server: the RFC 2831 §4 worked example, the challenge ZooKeeper clients expect, and
// the ways a digest-response is refused.
import { describe, expect, it } from 'vitest';
import {
  DigestMd5Server,
  digestMd5ResponseValue,
  saslAuthIds,
  type ResponseValueInput,
} from '../../../../actors/server/auth/sasl-digest-md5.js';
import { parseDirectives } from '../../../../actors/server/auth/sasl-directives.js';
import {
  SaslAuthenticationError,
  SaslExchangeFinishedError,
  SaslMalformedResponseError,
  SaslNonceMismatchError,
  SaslResponseTooLargeError,
  SaslUnknownUserError,
  SaslWrongCredentialsError,
} from '../../../../actors/server/auth/sasl-errors.js';

const users = new Map([['bob', 'bobsecret']]);
const fixedRandom = (fill: number) => (count: number): Buffer => Buffer.alloc(count, fill);

function directivesOf(token: Buffer): Map<string, string> {
  return new Map(parseDirectives(token).map(({ name, value }) => [name, value.toString()]));
}

/** A digest-response computed the way a client does, for the given server's challenge. */
function clientResponse(server: DigestMd5Server, overrides: Record<string, string> = {}): Buffer {
  const challenge = directivesOf(server.evaluate(Buffer.alloc(0)).challenge);
  const fields: Record<string, string> = {
    username: 'bob', realm: challenge.get('realm')!, nonce: challenge.get('nonce')!,
    cnonce: 'client-nonce', nc: '00000001', qop: 'auth', 'digest-uri': 'zookeeper/zk-sasl-md5',
    password: 'bobsecret', ...overrides,
  };
  const response = fields.response ?? digestMd5ResponseValue({
    method: 'AUTHENTICATE', digestUri: Buffer.from(fields['digest-uri']!), qop: fields.qop!,
    username: fields.username!, realm: fields.realm!, password: fields.password!,
    nonce: Buffer.from(fields.nonce!), cnonce: Buffer.from(fields.cnonce!),
    authorizationId: fields.authzid === undefined ? undefined : Buffer.from(fields.authzid),
  });
  const parts = [`username="${fields.username}"`, `realm="${fields.realm}"`,
    `nonce="${fields.nonce}"`, `cnonce="${fields.cnonce}"`, `nc=${fields.nc}`,
    `qop=${fields.qop}`, `digest-uri="${fields['digest-uri']}"`, `response=${response}`];
  if (fields.authzid !== undefined) parts.push(`authzid="${fields.authzid}"`);
  return Buffer.from(parts.join(','));
}

describe('digestMd5ResponseValue', () => {
  // RFC 2831 §4: chris/secret at elwood.innosoft.com, IMAP.
  const example: ResponseValueInput = {
    method: 'AUTHENTICATE', digestUri: Buffer.from('imap/elwood.innosoft.com'), qop: 'auth',
    username: 'chris', realm: 'elwood.innosoft.com', password: 'secret',
    nonce: Buffer.from('OA6MG9tEQGm2hh'), cnonce: Buffer.from('OA6MHXh6VqTrRk'),
    authorizationId: undefined,
  };

  it('reproduces the RFC 2831 example response and rspauth', () => {
    expect(digestMd5ResponseValue(example)).toBe('d388dad90d4bbd760a152321f2143af7');
    expect(digestMd5ResponseValue({ ...example, method: '' }))
      .toBe('ea40f60335c427b5527b84dbabcdfffd');
  });
});

describe('DigestMd5Server challenge', () => {
  it('offers realm zk-sasl-md5, a 40-character nonce, qop auth, utf-8 and md5-sess', () => {
    const server = new DigestMd5Server({ users, randomBytes: fixedRandom(1) });
    const evaluation = server.evaluate(Buffer.alloc(0));
    expect(evaluation.complete).toBe(false);
    expect(evaluation.challenge.toString()).toBe(
      'realm="zk-sasl-md5",nonce="AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB",qop="auth",' +
      'charset=utf-8,algorithm=md5-sess');
  });

  it('ignores a non-empty initial token (no subsequent authentication)', () => {
    const server = new DigestMd5Server({ users, realm: 'example', randomBytes: fixedRandom(2) });
    const challenge = directivesOf(server.evaluate(Buffer.from('username="bob"')).challenge);
    expect(challenge.get('realm')).toBe('example');
  });
});

describe('DigestMd5Server digest-response', () => {
  it('completes with rspauth and the username as authorization id', () => {
    const server = new DigestMd5Server({ users, randomBytes: fixedRandom(3) });
    const evaluation = server.evaluate(clientResponse(server));
    expect(evaluation.complete).toBe(true);
    expect(evaluation.authorizationId).toBe('bob');
    expect(evaluation.challenge.toString()).toMatch(/^rspauth=[0-9a-f]{32}$/);
    expect(server.isComplete).toBe(true);
  });

  it('authorizes as the username even when the client asks for another authzid', () => {
    const server = new DigestMd5Server({ users, randomBytes: fixedRandom(4) });
    const evaluation = server.evaluate(clientResponse(server, { authzid: 'alice' }));
    expect(evaluation.authorizationId).toBe('bob');
  });

  it('accepts the digest-uri in any case, as the JDK does', () => {
    const server = new DigestMd5Server({ users, randomBytes: fixedRandom(5) });
    const response = clientResponse(server, { 'digest-uri': 'ZooKeeper/ZK-SASL-MD5' });
    expect(server.evaluate(response).complete).toBe(true);
  });

  it.each<[string, Record<string, string>, new (...args: never[]) => SaslAuthenticationError]>([
    ['wrong password', { password: 'guess' }, SaslWrongCredentialsError],
    ['unknown user', { username: 'mallory' }, SaslUnknownUserError],
    ['foreign nonce', { nonce: 'AAAA' }, SaslNonceMismatchError],
    ['other realm', { realm: 'elsewhere' }, SaslMalformedResponseError],
    ['nonce count 2', { nc: '00000002' }, SaslMalformedResponseError],
    ['qop auth-int', { qop: 'auth-int' }, SaslMalformedResponseError],
    ['other service', { 'digest-uri': 'ldap/zk-sasl-md5' }, SaslMalformedResponseError],
    ['garbled hash', { response: 'ffffffffffffffffffffffffffffffff' }, SaslWrongCredentialsError],
  ])('refuses a response with %s', (_situation, overrides, errorClass) => {
    const server = new DigestMd5Server({ users, randomBytes: fixedRandom(6) });
    const response = clientResponse(server, overrides);
    expect(() => server.evaluate(response)).toThrow(errorClass);
    expect(server.isComplete).toBe(false);
    // A failed exchange is over: even the right answer is refused afterwards.
    expect(() => server.evaluate(response)).toThrow(SaslExchangeFinishedError);
  });

  it.each([
    ['an unterminated quote', 'username="bob,nonce=x'],
    ['a directive without value', 'username'],
    ['a repeated directive', 'username="bob",username="eve"'],
    ['no response directive', 'username="bob",realm="zk-sasl-md5"'],
  ])('refuses a garbled response with %s', (_situation, text) => {
    const server = new DigestMd5Server({ users, randomBytes: fixedRandom(7) });
    server.evaluate(Buffer.alloc(0));
    expect(() => server.evaluate(Buffer.from(text))).toThrow(SaslMalformedResponseError);
  });

  it('refuses a token over 4096 bytes', () => {
    const server = new DigestMd5Server({ users, randomBytes: fixedRandom(8) });
    expect(() => server.evaluate(Buffer.alloc(4097))).toThrow(SaslResponseTooLargeError);
  });

  it('refuses any token after completion', () => {
    const server = new DigestMd5Server({ users, randomBytes: fixedRandom(9) });
    const response = clientResponse(server);
    server.evaluate(response);
    expect(() => server.evaluate(response)).toThrow(SaslExchangeFinishedError);
    expect(() => server.evaluate(Buffer.alloc(0))).toThrow(SaslExchangeFinishedError);
  });
});

describe('saslAuthIds', () => {
  it.each([
    ['bob', undefined, [{ scheme: 'sasl', id: 'bob' }]],
    ['bob', 'admin', [{ scheme: 'sasl', id: 'bob' }]],
    ['admin', 'admin', [{ scheme: 'sasl', id: 'admin' }, { scheme: 'super', id: '' }]],
  ])('gives %s with zookeeper.superUser=%s the ids %j', (name, superUser, expected) => {
    expect(saslAuthIds(name, superUser)).toEqual(expected);
  });
});
