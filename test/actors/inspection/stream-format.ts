// Checks a machine event stream message against protocol/machine-stream.ts, field by field, for
// the hub's unit tests, the ensemble's SSE test and the simulator's trace test.
import { expect } from 'vitest';
import {
  machineStreamVersion,
  type StreamMessage,
  type StreamStateValue,
  type TraceLine,
} from '../../../protocol/machine-stream.js';

function expectStateValue(value: unknown): asserts value is StreamStateValue {
  if (typeof value === 'string') return;
  expect(typeof value).toBe('object');
  expect(value).not.toBeNull();
  for (const child of Object.values(value as object)) expectStateValue(child);
}

function expectKeys(message: object, required: string[], optional: string[] = []): void {
  const keys = Object.keys(message);
  for (const key of required) expect(keys, `${key} in ${JSON.stringify(message)}`).toContain(key);
  for (const key of keys) expect([...required, ...optional]).toContain(key);
}

/** A record after the hello: its base fields, then its kind's. */
function expectRecord(message: Record<string, unknown>): void {
  expect(Number.isInteger(message.seq)).toBe(true);
  expect(typeof message.time).toBe('number');
  expect(typeof message.replica).toBe('string');
  expect(typeof message.actor).toBe('string');
  const base = ['kind', 'seq', 'time', 'replica', 'actor'];
  switch (message.kind) {
    case 'actor':
      expectKeys(message, [...base, 'machine', 'state'], ['parent', 'label']);
      expect(typeof message.machine).toBe('string');
      expectStateValue(message.state);
      return;
    case 'transition': {
      expectKeys(message, [...base, 'event', 'transitions', 'state'], ['repeat']);
      if (message.repeat !== undefined) {
        expect(Number.isInteger(message.repeat) && (message.repeat as number) >= 2).toBe(true);
      }
      const event = message.event as Record<string, unknown>;
      expect(typeof event.type).toBe('string');
      for (const value of Object.values(event)) {
        expect(['string', 'number', 'boolean'].includes(typeof value) || value === null).toBe(true);
      }
      for (const taken of message.transitions as Array<Record<string, unknown>>) {
        expectKeys(taken, ['source', 'targets']);
        expect(typeof taken.source).toBe('string');
        expect((taken.targets as unknown[]).every((target) => typeof target === 'string'))
          .toBe(true);
      }
      expectStateValue(message.state);
      return;
    }
    case 'ended':
      expectKeys(message, [...base, 'status']);
      expect(['done', 'stopped', 'error']).toContain(message.status);
      return;
    case 'gap':
      expectKeys(message, [...base, 'dropped']);
      expect(message.actor).toBe('');
      expect(Number.isInteger(message.dropped)).toBe(true);
      return;
    default:
      throw new Error(`unknown record kind ${String(message.kind)}`);
  }
}

/** Throws (as a failed expectation) unless `message` has exactly the protocol's shape. */
export function expectStreamMessage(message: unknown): asserts message is StreamMessage {
  const fields = message as Record<string, unknown>;
  if (fields.kind === 'hello') {
    expectKeys(fields, ['kind', 'version', 'replica', 'time', 'bufferLimit', 'machines']);
    expect(fields.version).toBe(machineStreamVersion);
    expect(Object.keys(fields.machines as object)).toEqual(
      expect.arrayContaining(['replica', 'election', 'session']),
    );
    return;
  }
  expectRecord(fields);
}

/** A line of a simulator trace: a header, a mark, or a stream message. */
export function expectTraceLine(line: unknown): asserts line is TraceLine {
  const fields = line as Record<string, unknown>;
  if (fields.kind === 'trace') {
    expectKeys(fields, ['kind', 'version', 'seed', 'flags', 'replicas']);
    return;
  }
  if (fields.kind === 'mark') {
    expectKeys(fields, ['kind', 'seq', 'time', 'mark', 'text'], ['replica']);
    expect(['fault', 'client', 'violation', 'end']).toContain(fields.mark);
    return;
  }
  expectStreamMessage(line);
}
