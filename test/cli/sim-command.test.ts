// `npm run sim` as an operator runs it: the built CLI over a few seeds prints its summary and
// exits 0; a broken variant on its regression seed exits 1 and prints how to replay it; one
// seed with --trace prints the message log; a bad flag is refused, naming it.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { corralMain } from '../support/corral.js';

function sim(args: string[]) {
  const result = spawnSync(process.execPath, [corralMain, 'sim', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('corral sim', () => {
  it('runs seeds and prints seeds, faults, operations checked and seeds/s', () => {
    const { status, output } = sim(['--seeds', '5', '--first-seed', '11']);
    expect(status).toBe(0);
    expect(output).toMatch(/^seeds run: 5 \(11\.\.15\)$/m);
    expect(output).toMatch(/^faults injected: \d+ \(crash \d+, powerLoss \d+, /m);
    expect(output).toMatch(/^operations checked: \d+/m);
    expect(output).toMatch(/^seeds\/s: [\d.]+ /m);
    expect(output).toMatch(/^violations: none$/m);
  });

  it('runs seeds with reconfigs among the faults and counts them (--reconfig)', () => {
    const { status, output } = sim(['--seeds', '3', '--first-seed', '14', '--reconfig']);
    expect(status).toBe(0);
    expect(output).toMatch(/^seeds run: 3 \(14\.\.16\)$/m);
    const counted = /^reconfigs: [1-9]\d* asked \(\d+ from a stale version\), [1-9]\d* committed/m;
    expect(output).toMatch(counted);
    expect(output).toMatch(/^violations: none$/m);
  });

  it('runs the reconfig variant with reconfigs among the faults (activateWithoutOldQuorum)', () => {
    const { output } = sim(['--seeds', '2', '--variant', 'activateWithoutOldQuorum']);
    expect(output).toMatch(/^seeds run: 2 \(1\.\.2\), variant activateWithoutOldQuorum$/m);
    expect(output).toMatch(/^reconfigs: \d+ asked /m);
  });

  it('exits 1 on a violation and prints the replay command (electionIgnoresZxid, seed 9)', () => {
    const { status, output } = sim(['--seed', '9', '--variant', 'electionIgnoresZxid']);
    expect(status).toBe(1);
    expect(output).toMatch(/^seed 9: \d+ violation\(s\)$/m);
    expect(output).toMatch(/^ {2}durability: committed 0x[0-9a-f]+ lost by leader \d$/m);
    expect(output).toContain('replay: npm run sim -- --seed 9 --variant electionIgnoresZxid');
  });

  it('replays one seed with its message log and machine transitions (--seed 2 --trace)', () => {
    const { status, output } = sim(['--seed', '2', '--trace']);
    expect(status).toBe(0);
    expect(output).toMatch(/^\[2\] \d+ \d→\d NOTIFICATION /m);
    expect(output).toMatch(/^\[2\] \d+ replica \d: leading\.phase\.broadcast/m);
  });

  it.each([
    [['--seeds', 'many'], '--seeds'],
    [['--fault-chance', '2'], '--fault-chance'],
    [['--variant', 'none'], '--variant'],
    [['--reconfig', '--quorum', 'weighted'], '--quorum'],
  ])('refuses %j, naming the flag', (args, flag) => {
    const { status, output } = sim(args);
    expect(status).not.toBe(0);
    expect(output).toContain(flag);
  });
});
