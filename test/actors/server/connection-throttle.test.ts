// The rules bounding what one client connection makes the server hold: when its socket is read,
// when no more of its requests are handed over, when it is dropped.
import { describe, expect, it } from 'vitest';
import {
  readingPaused,
  sendQueueFull,
  sendQueueOverflows,
  ServerRequestsInFlight,
  type ConnectionLoad,
  type ThrottleLimits,
} from '../../../actors/server/connection-throttle.js';

const limits: ThrottleLimits = {
  sendQueueBytesThrottle: 1000,
  sendQueueBytesMax: 5000,
  outstandingRequestsMax: 10,
};

const idle: ConnectionLoad = {
  unsentBytes: 0,
  requestsInFlight: 0,
  requestsHeld: 0,
  serverRequestsInFlight: 0,
};

describe('sendQueueFull', () => {
  it.each([
    [0, false],
    [1000, false],
    [1001, true],
  ])('with %i bytes unsent of a 1000-byte throttle: %s', (unsentBytes, full) => {
    expect(sendQueueFull(unsentBytes, limits)).toBe(full);
  });
});

describe('sendQueueOverflows', () => {
  it.each([
    // A reply into an empty queue always goes, however large.
    [0, 50_000, false],
    [4000, 1000, false],
    [4000, 1001, true],
    [5001, 0, true],
  ])('%i bytes unsent, a reply of %i bytes (5000 max): %s', (unsentBytes, reply, overflows) => {
    expect(sendQueueOverflows(unsentBytes, reply, limits)).toBe(overflows);
  });
});

describe('readingPaused', () => {
  it.each<[string, Partial<ConnectionLoad>, boolean]>([
    ['an idle connection on an idle server', {}, false],
    ['replies unsent below the throttle', { unsentBytes: 1000 }, false],
    ['replies unsent above the throttle', { unsentBytes: 1001 }, true],
    ['9 of its own in flight or held', { requestsInFlight: 5, requestsHeld: 4 }, false],
    ['10 of its own in flight or held', { requestsInFlight: 6, requestsHeld: 4 }, true],
    ['a server at its limit', { serverRequestsInFlight: 10, requestsInFlight: 1 }, false],
    ['a server over its limit, one of its own', { serverRequestsInFlight: 11, requestsHeld: 1 },
      true],
    // ZooKeeper's shouldThrottle: a connection with nothing in flight may still send.
    ['a server over its limit, none of its own', { serverRequestsInFlight: 11 }, false],
  ])('%s: %s', (_situation, load, paused) => {
    expect(readingPaused({ ...idle, ...load }, limits)).toBe(paused);
  });
});

describe('ServerRequestsInFlight', () => {
  it('sums what each connection last reported, and forgets a connection that reports 0', () => {
    const total = new ServerRequestsInFlight();
    let first = total.report(0, 3);
    const second = total.report(0, 4);
    expect(total.count).toBe(7);
    first = total.report(first, 1);
    expect(total.count).toBe(5);
    total.report(second, 0);
    total.report(first, 0);
    expect(total.count).toBe(0);
  });
});
