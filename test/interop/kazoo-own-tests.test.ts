// kazoo's own test suite (Debian python3-kazoo ships kazoo/tests) run against a 3-replica corral
// ensemble. kazoo's harness starts "ZooKeeper" as `java … QuorumPeerMain zoo.cfg` from PATH; a
// `java` of our own on PATH runs corral with that very zoo.cfg instead (the harness's system
// properties become zoo.cfg lines; every port is bound on loopback, from this worker's block).
// So the tests, the harness's config (reconfigEnabled, the super digest, a JAAS file for SASL)
// and its fault injection (servers stopped with SIGTERM, sessions expired, connections dropped)
// are kazoo's, unchanged.
//
// Left out: TestReadOnlyMode.test_read_only. It reconnects a session made while the ensemble was
// read-write to a replica left read-only, and ZooKeeper 3.6+ refuses that session there
// (RENEW_GLOBAL_SESSION_IN_RO_MODE) as corral does: the test fails against ZooKeeper 3.8 too.
// KAZOO_OWN_TESTS=all runs every file (about 1.5 minutes); the default slice takes under one.

import { execFile, spawnSync } from 'node:child_process';
import {
  chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { reservedPortRun } from '../../bench/ports.js';
import { corralMain } from '../support/corral.js';

const python = '/usr/bin/python3';

/** kazoo/tests, when kazoo and what its tests import (pytest, mock, objgraph) are installed. */
function kazooTestsDir(): string | undefined {
  const script = 'import os, pytest, mock, objgraph, kazoo.tests; ' +
    'print(os.path.dirname(kazoo.tests.__file__))';
  const probe = spawnSync(python, ['-c', script], { encoding: 'utf8' });
  return probe.status === 0 ? probe.stdout.trim() : undefined;
}

const testsDir = kazooTestsDir();

const slice = ['test_client.py', 'test_lock.py', 'test_sasl.py', 'test_watchers.py',
  'test_cache.py', 'test_barrier.py', 'test_counter.py', 'test_election.py', 'test_party.py',
  'test_queue.py', 'test_paths.py'];
const rest = ['test_connection.py', 'test_partitioner.py', 'test_lease.py', 'test_retry.py',
  'test_utils.py', 'test_interrupt.py', 'test_security.py', 'test_threading_handler.py',
  'test_exceptions.py', 'test_hosts.py'];

/**
 * The `java` kazoo's harness runs: the config it names, plus its -Dzookeeper.* properties (the
 * super digest), read-only mode and the JAAS file as zoo.cfg keys, and loopback-only addresses.
 */
function javaShim(marker: string): string {
  return `#!/bin/bash
export CORRAL_KAZOO_OWN_RUN=${JSON.stringify(marker)}
cfg="\${@: -1}"; out="\${cfg%.cfg}.corral.cfg"; cp "$cfg" "$out"
for arg in "$@"; do
  case "$arg" in
    -Dzookeeper.*) echo "\${arg#-Dzookeeper.}" >> "$out";;
    -Dreadonlymode.enabled=*) echo "readonlymode.enabled=\${arg#*=}" >> "$out";;
    -Djava.security.auth.login.config=*)
      jaas="\${arg#*=}"; [ -s "$jaas" ] && echo "jaasLoginConfig=$jaas" >> "$out";;
  esac
done
printf 'clientPortAddress=127.0.0.1\\nadmin.serverAddress=127.0.0.1\\n' >> "$out"
exec ${JSON.stringify(process.execPath)} ${JSON.stringify(corralMain)} server --config "$out" \\
  --log-level warn >> "$(dirname "$cfg")/corral.log" 2>&1
`;
}

/**
 * The servers the shim started and kazoo's harness left running (a run cut short by its
 * timeout never reaches the harness's own cleanup): found by the marker in their environment.
 */
function killLeftServers(marker: string): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let environment = '';
    try {
      environment = readFileSync(`/proc/${entry}/environ`, 'utf8');
    } catch {
      continue;
    }
    if (environment.split('\0').includes(`CORRAL_KAZOO_OWN_RUN=${marker}`)) {
      try {
        process.kill(Number(entry), 'SIGKILL');
      } catch {
        // It exited meanwhile.
      }
    }
  }
}

describe.skipIf(testsDir === undefined)('kazoo\'s own test suite against corral', () => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-kazoo-own-'));
  afterAll(() => {
    killLeftServers(dir);
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes, apart from the read-only test ZooKeeper 3.8 fails too', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'java'), javaShim(dir));
    chmodSync(join(bin, 'java'), 0o755);
    const files = process.env.KAZOO_OWN_TESTS === 'all' ? [...slice, ...rest] : slice;
    const env = {
      ...process.env,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      // The harness needs a classpath or a version; the shim ignores the classpath.
      ZOOKEEPER_CLASSPATH: '/nonexistent',
      ZOOKEEPER_VERSION: '3.8.0',
      // Server i gets the client, quorum, election and admin ports offset + 10i + 0..3.
      ZOOKEEPER_PORT_OFFSET: String(await reservedPortRun(24)),
    };
    const args = ['-m', 'pytest', '-q', '-p', 'no:cacheprovider',
      '-W', 'ignore::DeprecationWarning',
      '-rfE', '-k', 'not test_read_only', ...files.map((file) => join(testsDir!, file))];
    const pytest = (testArgs: string[], timeout: number) => new Promise<string>((resolve) => {
      execFile(python, testArgs, { env, cwd: dir, timeout, maxBuffer: 64 * 1024 * 1024 },
        (_error, stdout, stderr) => resolve(`${stdout}\n${stderr}`));
    });
    const output = await pytest(args, 240_000);
    const summary = /(\d+) passed(?:, (\d+) skipped)?(?:, (\d+) deselected)?[^\n]* in [\d.]+s/
      .exec(output);
    const problems = output.split('\n').filter((line) => /^(FAILED|ERROR) /.test(line));
    // A few of kazoo's tests race the client's own threads: test_invalid_sasl_auth passes only
    // when start() sees CONNECTED before the connection thread handles the refused auth (its
    // AuthFailedError then comes from the chroot check), which a loaded machine sometimes loses,
    // against ZooKeeper too. A failed test runs once more, alone, and must pass then.
    const failed = problems.map((line) => /^FAILED (\S+)/.exec(line)?.[1]);
    if (problems.length > 0 && problems.length <= 2 && failed.every((id) => id !== undefined)) {
      const again = await pytest(['-m', 'pytest', '-q', '-p', 'no:cacheprovider',
        '-W', 'ignore::DeprecationWarning', '-rfE', ...failed as string[]], 50_000);
      expect(again, `${output.slice(-6000)}\n--- run again ---\n${again.slice(-3000)}`)
        .toMatch(new RegExp(`\\b${failed.length} passed`));
      expect(again).not.toMatch(/\d+ (failed|error)/);
      console.warn(`kazoo tests that failed once and passed when run again: ${failed.join(' ')}`);
    } else {
      expect(problems, output.slice(-6000)).toEqual([]);
    }
    expect(summary, output.slice(-6000)).not.toBeNull();
    if (problems.length === 0) expect(output).not.toMatch(/\d+ (failed|error)/);
    // kazoo 2.8's slice holds 230 tests and all its files 305: fewer passing means some never ran.
    expect(Number(summary![1])).toBeGreaterThanOrEqual(files === slice ? 225 : 295);
  }, 300_000);
});
