// Reconfiguration among the simulator's faults (issue 13) in npm test: a slice of seeds where the
// operator adds spares, removes followers, observers and the leader and swaps roles while
// replicas crash, lose power and are partitioned, checked for every invariant plus the config
// ledger's (one membership per version, the committed one, never activated before its commit,
// the newest active on every member after healing); and the config ledger on its own.
import { describe, expect, it } from 'vitest';
import { runSimulation } from '../../sim/simulation.js';
import { ConfigLedger } from '../../sim/config-ledger.js';
import { CommitLedger } from '../../sim/invariants.js';
import { membershipOfIds } from '../../protocol/membership.js';
import type { Txn } from '../../protocol/txn.js';
import { seedRange } from './simulation-support.js';

/**
 * Seeds 1..22 but 12 and 18, which the real machine fails for now (see below), and 32, which it
 * once failed: with reconfigEnabled, voters and a stranger (or a non-voter) counted each other
 * out and answered each other's notifications at one instant for ever. 9, which it once failed
 * too, is in the range: an observer the leader counted as a voter had not heard the reconfig
 * that made it one, and observed for ever.
 */
const slice = [...seedRange(1, 22).filter((seed) => ![12, 18].includes(seed)), 32];

/**
 * Seeds the real machine fails with reconfig, reported and not fixed yet. Each must keep failing
 * until the fix: then its first test fails, and the seed joins the slice.
 * 12: a reconfig adding 4 was proposed, then the power went; 3 and 4 have it seen (logged) and
 * vote for 4, a voter there, while 1, 2 and 5 vote for 3: 4 is no voter in the configuration they
 * have active, and the votes never meet (ZooKeeper's vote order weighs candidates by the active
 * configuration only).
 * 18: replica 2 missed the reconfigs that followed its start (it was down) and keeps its
 * starting configuration, in which the others' leader (4) is no voter; nothing tells it of the
 * newer one (ZooKeeper's notifications carry the sender's configuration, and a looking peer
 * adopts a newer one), so it looks for ever and no leader has every member behind it.
 * 73: replicas whose configurations differ answer each other's notifications at one instant for
 * ever (a livelock).
 */
const knownFailures = [
  { seed: 12, violation: /^liveness: no stable leader/ },
  { seed: 18, violation: /^config: member \d has 0x[0-9a-f]+ active after healing/ },
  { seed: 73, violation: /^livelock: / },
];

describe('deterministic simulation with reconfigs among the faults (R=3, 2 spares)', () => {
  it('keeps every invariant, configurations included, on each seed of the slice', async () => {
    const failures: string[] = [];
    let operations = 0;
    let committed = 0;
    let asked = 0;
    for (const seed of slice) {
      const result = await runSimulation({ seed, reconfig: true });
      failures.push(...result.violations.map((violation) => `seed ${seed}: ${violation}`));
      operations += result.history.operations;
      committed += result.reconfigs?.committed ?? 0;
      asked += Object.values(result.reconfigs?.asked ?? {}).reduce((sum, n) => sum + n, 0);
    }
    expect(failures).toEqual([]);
    expect(operations).toBeGreaterThan(250);
    expect(asked).toBeGreaterThan(20);
    expect(committed).toBeGreaterThan(3);
  }, 60_000);

  it.fails.each(knownFailures)('passes seed $seed (known failure, reported)', async ({ seed }) => {
    const result = await runSimulation({ seed, reconfig: true });
    expect(result.violations).toEqual([]);
  });

  it.each(knownFailures)('fails seed $seed as reported, for now', async ({ seed, violation }) => {
    const result = await runSimulation({ seed, reconfig: true });
    expect(result.violations.some((found) => violation.test(found))).toBe(true);
  });

  it('traces the reconfigs it sends and their activation (seed 16)', async () => {
    const lines: string[] = [];
    await runSimulation({ seed: 16, reconfig: true, trace: (line) => lines.push(line) });
    expect(lines.some((line) => / fault reconfig \w+ via \d from -?\d+: /.test(line))).toBe(true);
    expect(lines.some((line) => / \d→\d COMMITANDACTIVATE 0x[0-9a-f]+ leader \d/.test(line)))
      .toBe(true);
  });

  it('leaves a run without reconfig as it was: no spares, no reconfig summary', async () => {
    const lines: string[] = [];
    const result = await runSimulation({ seed: 3, trace: (line) => lines.push(line) });
    expect(result.reconfigs).toBeUndefined();
    expect(lines.some((line) => / fault reconfig /.test(line))).toBe(false);
    expect(lines.some((line) => / [45]→\d /.test(line))).toBe(false);
  });

  it('refuses reconfig with weights or groups (incremental needs a majority)', async () => {
    await expect(runSimulation({ seed: 1, reconfig: true, quorum: 'weighted' }))
      .rejects.toThrow(/majority/);
  });
});

describe('the config ledger', () => {
  const grown = membershipOfIds([1, 2, 3, 4]);
  const reconfigTxn = (zxid: number): Txn => ({
    zxid, time: 0, sessionId: 1n, cxid: 1, body: { type: 'reconfig', membership: grown },
  });

  it('accepts activations of the committed membership at its zxid', () => {
    const ledger = new CommitLedger();
    const configs = new ConfigLedger(ledger);
    ledger.record(1, reconfigTxn(0x100000005));
    configs.record(1, { ...grown, version: 0x100000005 });
    configs.record(2, { ...grown, version: 0x100000005 });
    configs.settle();
    expect(ledger.violations).toEqual([]);
    expect(configs.newestCommitted()?.version).toBe(0x100000005);
  });

  it('accepts an activation the same step commits, checked once the step is over', () => {
    const ledger = new CommitLedger();
    const configs = new ConfigLedger(ledger);
    configs.record(1, { ...grown, version: 0x100000005 });
    ledger.record(2, reconfigTxn(0x100000005));
    configs.settle();
    expect(ledger.violations).toEqual([]);
  });

  it('reports an activation before the commit, and one of another membership', () => {
    const ledger = new CommitLedger();
    const configs = new ConfigLedger(ledger);
    configs.record(3, { ...grown, version: 0x100000005 });
    configs.settle();
    ledger.record(1, reconfigTxn(0x100000005));
    configs.record(2, { ...membershipOfIds([1, 2, 3, 5]), version: 0x100000005 });
    configs.settle();
    expect(ledger.violations).toEqual([
      'config: replica 3 activated 0x100000005, not committed',
      'config: 3 and 2 activated different 0x100000005',
      'config: replica 2 activated 0x100000005 other than committed',
    ]);
  });

  it('reports a member without the newest configuration after healing', () => {
    const ledger = new CommitLedger();
    const configs = new ConfigLedger(ledger);
    ledger.record(1, reconfigTxn(0x100000005));
    const newest = { ...grown, version: 0x100000005 };
    const old = { ...membershipOfIds([1, 2, 3]), version: 0 };
    // Replica 5 is no member: it has nothing to agree on.
    const active = (id: number) => (id === 4 || id === 5 ? old : newest);
    expect(configs.checkAgreement([1, 2, 3, 4, 5], active)).toEqual([
      'config: member 4 has 0x0 active after healing, newest committed 0x100000005',
    ]);
  });
});
