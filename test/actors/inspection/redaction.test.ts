// What the inspector is never shown (actors/inspection/redaction.ts): bytes in every form they
// reach the serialiser in, secret-named fields, digest hashes; other values pass unchanged.
import { describe, expect, it } from 'vitest';
import { redactDefinition, redactSecrets } from '../../../actors/inspection/redaction.js';

const stringify = (value: unknown) => JSON.stringify(value, redactSecrets);

describe('redactSecrets', () => {
  it.each<[string, unknown, unknown]>([
    ['a Buffer', { data: Buffer.from('secret') }, { data: '<redacted 6 bytes>' }],
    ['a Uint8Array', { data: new Uint8Array([1, 2, 3]) }, { data: '<redacted 3 bytes>' }],
    ['Buffer JSON', { data: { type: 'Buffer', data: [7, 8] } }, { data: '<redacted 2 bytes>' }],
    ['an indexed Uint8Array', { data: { 0: 115, 1: 101 } }, { data: '<redacted 2 bytes>' }],
    ['a password string', { password: 'hunter2' }, { password: '<redacted>' }],
    ['a superDigest', { superDigest: 'super:abc=' }, { superDigest: '<redacted>' }],
    ['a digest id', { id: { scheme: 'digest', id: 'bob:hash=' } },
      { id: { scheme: 'digest', id: 'bob:<redacted>' } }],
    ['an ip id', { id: { scheme: 'ip', id: '10.0.0.1' } },
      { id: { scheme: 'ip', id: '10.0.0.1' } }],
    ['numbers in an array', { zxids: [1, 2, 3] }, { zxids: [1, 2, 3] }],
    ['a non-byte indexed object', { counts: { 0: 300 } }, { counts: { 0: 300 } }],
    ['an empty object', { children: {} }, { children: {} }],
    ['a null password', { password: null }, { password: null }],
  ])('%s', (_name, value, expected) => {
    expect(JSON.parse(stringify(value))).toEqual(expected);
  });

  it('redacts a machine definition given as JSON text, and drops text that is not JSON', () => {
    const context = { data: { type: 'Buffer', data: [1] } };
    const definition = JSON.stringify({ id: 'm', context });
    expect(JSON.parse(redactDefinition(definition)))
      .toEqual({ id: 'm', context: { data: '<redacted 1 bytes>' } });
    expect(redactDefinition('not json')).toBe('{"id":"<redacted>"}');
  });
});
