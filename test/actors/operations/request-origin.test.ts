// Which requests the operator surfaces take as their own (actors/operations/request-origin.ts):
// Host names DNS rebinding cannot forge, a browser's Origin only when it is the server's own,
// and no request another site's page made the browser send.
import { describe, expect, it } from 'vitest';
import {
  foreignRequestProblem,
  isAnsweredHost,
  parseHostHeader,
  type OriginHeaders,
} from '../../../actors/operations/request-origin.js';

const names = ['zk1.example.org'];

describe('parseHostHeader', () => {
  it.each([
    ['127.0.0.1:8080', { name: '127.0.0.1', port: '8080' }],
    ['LOCALHOST', { name: 'localhost', port: undefined }],
    ['[::1]:8082', { name: '::1', port: '8082' }],
    ['zk1.example.org.:80', { name: 'zk1.example.org', port: '80' }],
  ])('reads %s', (header, expected) => {
    expect(parseHostHeader(header)).toEqual(expected);
  });

  it.each(['', 'a b', 'user@host', 'host:port', 'host/path', '[::1'])('refuses %j', (header) => {
    expect(parseHostHeader(header)).toBeUndefined();
  });
});

describe('isAnsweredHost', () => {
  it.each([
    ['127.0.0.1', true],
    ['10.1.2.3', true],
    ['::1', true],
    ['localhost', true],
    ['admin.localhost', true],
    ['zk1.example.org', true],
    ['attacker.example', false],
    ['localhost.attacker.example', false],
    ['127.0.0.1.nip.io', false],
  ])('%s → %s', (name, expected) => {
    expect(isAnsweredHost(name, names)).toBe(expected);
  });
});

describe('foreignRequestProblem', () => {
  it.each<[OriginHeaders]>([
    [{}],
    [{ host: '127.0.0.1:8080' }],
    [{ host: 'localhost:8080', origin: 'http://localhost:8080' }],
    [{ host: '[::1]:8080', origin: 'http://[::1]:8080', 'sec-fetch-site': 'same-origin' }],
    [{ host: 'zk1.example.org', origin: 'http://zk1.example.org' }],
    [{ host: 'zk1.example.org:443', origin: 'https://zk1.example.org' }],
    [{ host: '127.0.0.1:8080', 'sec-fetch-site': 'none' }],
  ])('accepts %j', (headers) => {
    expect(foreignRequestProblem(headers, names)).toBeUndefined();
  });

  it.each<[OriginHeaders, string]>([
    [{ host: 'attacker.example:8080' }, 'Host attacker.example is not a name'],
    [{ host: 'bad host' }, 'malformed Host header'],
    [{ host: '127.0.0.1:8080', origin: 'http://attacker.example' }, 'Origin http://attacker'],
    [{ host: '127.0.0.1:8080', origin: 'http://127.0.0.1:3000' }, 'is not an origin'],
    [{ host: 'localhost:8080', origin: 'http://127.0.0.1:8080' }, 'is not an origin'],
    [{ host: '127.0.0.1:8080', origin: 'null' }, 'Origin null is not an origin'],
    [{ host: '127.0.0.1:8080', origin: 'file://127.0.0.1:8080' }, 'is not an origin'],
    [{ host: '127.0.0.1:8080', 'sec-fetch-site': 'cross-site' }, 'a cross-site request'],
    [{ host: '127.0.0.1:8080', 'sec-fetch-site': 'same-site' }, 'a same-site request'],
  ])('refuses %j', (headers, problem) => {
    expect(foreignRequestProblem(headers, names)).toContain(problem);
  });
});
