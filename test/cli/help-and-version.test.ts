// The command lines a newcomer tries first: `corral --version` prints package.json's version, and
// every benchmark script answers --help with its usage (exit 0) instead of a stack trace.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../support/corral.js';

function run(script: string, args: string[]) {
  return spawnSync(process.execPath, [join(projectRoot, 'dist', script), ...args], {
    encoding: 'utf8',
    timeout: 20_000,
  });
}

describe('help and version', () => {
  it('corral --version prints the version package.json names', () => {
    const manifest = JSON.parse(readFileSync(join(projectRoot, 'package.json'), 'utf8')) as {
      version: string;
    };
    const result = run('cli/main.js', ['--version']);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(manifest.version);
  });

  it.each(['bench/main.js', 'bench/restart.js', 'bench/snap.js', 'sim/linearizability/bench.js'])(
    '%s --help prints its usage and exits 0',
    (script) => {
      const result = run(script, ['--help']);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^Usage: corral-bench/);
    },
  );

  it('a benchmark script refuses an unknown option with its usage, not a stack trace', () => {
    const result = run('bench/restart.js', ['--no-such-option']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/unknown option '--no-such-option'/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
