// Which sessions a SessionTable keeps for a learner's PING (drainTouches): a learner keeps every
// session used since the last drain; a standalone server or the leader, which never drains,
// keeps none, so a held-open session costs no entry there.

import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { SessionTable } from '../../../actors/server/sessions.js';

function tableOf(recordsTouches?: () => boolean) {
  const clock = new SimulatedClock();
  return new SessionTable(
    { tickTimeMs: 200, minSessionTimeoutMs: 400, maxSessionTimeoutMs: 4000 },
    { requestSessionClose: () => undefined, closeConnection: () => undefined,
      ended: () => undefined },
    { clock, now: () => clock.now(), ...(recordsTouches === undefined ? {} : { recordsTouches }) },
  );
}

function openAndUse(sessions: SessionTable, count: number): void {
  for (let index = 0; index < count; index++) {
    const sessionId = BigInt(index + 1);
    sessions.open(sessionId, 1000 + index, index);
    sessions.connected(sessionId, index);
    sessions.touch(sessionId, index);
  }
}

describe('session table: touches kept for drainTouches', () => {
  it.each([
    ['a learner (records touches)', () => true, 3],
    ['a table given no choice (records touches)', undefined, 3],
    ['a standalone server or leader (does not)', () => false, 0],
  ])('on %s, 3 sessions opened and used leave %i touches', (_name, records, expected) => {
    const sessions = tableOf(records);
    openAndUse(sessions, 3);
    const touches = sessions.drainTouches();
    expect(touches).toHaveLength(expected);
    if (expected > 0) {
      // Each once, with its negotiated timeout, and drained means gone.
      expect(touches.map((touch) => touch.sessionId)).toEqual([1n, 2n, 3n]);
      expect(touches.map((touch) => touch.timeoutMs)).toEqual([1000, 1001, 1002]);
    }
    expect(sessions.drainTouches()).toEqual([]);
    expect(sessions.size).toBe(3);
    sessions.stopAll();
  });

  it('starts keeping touches when the replica becomes a learner, and not before', () => {
    let learner = false;
    const sessions = tableOf(() => learner);
    openAndUse(sessions, 2);
    expect(sessions.drainTouches()).toEqual([]);
    learner = true;
    sessions.touch(2n, 1);
    expect(sessions.drainTouches().map((touch) => touch.sessionId)).toEqual([2n]);
    sessions.stopAll();
  });
});
