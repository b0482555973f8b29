// The server log: readable lines on a terminal, JSON elsewhere, at the level `--log-level` or
// zoo.cfg's logLevel asks for; checked on the format rules and on real `corral server` processes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseLogFormat, formatLogLine } from '../../cli/logging.js';
import { replicaLoggingArguments } from '../../cli/ensemble-command.js';
import { ConfigError } from '../../actors/config/config.js';
import { corralMain, startCorral } from '../support/corral.js';

describe('log format selection', () => {
  it.each([
    [undefined, true, 'pretty'],
    [undefined, false, 'json'],
    ['auto', true, 'pretty'],
    ['auto', false, 'json'],
    ['json', true, 'json'],
    ['pretty', false, 'pretty'],
  ] as const)('setting %s with a TTY %s logs %s', (setting, isTty, format) => {
    expect(chooseLogFormat(setting, isTty)).toBe(format);
  });

  it.each([
    [{}, true, ['--log-format', 'pretty']],
    [{}, false, ['--log-format', 'json']],
    [{ logLevel: 'WARN' }, true, ['--log-level', 'warn', '--log-format', 'pretty']],
    [{ logFormat: 'json' }, true, ['--log-format', 'json']],
  ])('an ensemble with %j (TTY %s) runs replicas with %j', (flags, isTty, expected) => {
    expect(replicaLoggingArguments(flags, isTty)).toEqual(expected);
  });

  it('an ensemble refuses an unknown level naming --log-level', () => {
    expect(() => replicaLoggingArguments({ logLevel: 'loud' }, true)).toThrow(ConfigError);
    expect(() => replicaLoggingArguments({ logLevel: 'loud' }, true)).toThrow(/--log-level/);
  });
});

describe('readable log lines', () => {
  const time = new Date(2024, 0, 2, 3, 4, 5, 6).getTime();
  it.each([
    [{ level: 30, time, pid: 1, msg: 'started' }, '03:04:05.006 INFO  started'],
    [{ level: 40, time, msg: 'slow', port: 2181, name: 'a b' },
      '03:04:05.006 WARN  slow port=2181 name="a b"'],
    [{ level: 60, time, msg: 'x', list: [1, 2] }, '03:04:05.006 FATAL x list=[1,2]'],
    [{ level: 20, time, msg: 'y', nested: { a: true } },
      '03:04:05.006 DEBUG y nested={"a":true}'],
  ])('formats %j', (record, line) => {
    expect(formatLogLine(JSON.stringify(record))).toBe(line);
  });

  it('passes a line that is not a JSON object through unchanged', () => {
    expect(formatLogLine('not json')).toBe('not json');
    expect(formatLogLine('[1]')).toBe('[1]');
  });
});

function jsonLevels(output: string): number[] {
  return output.split('\n').filter((line) => line.startsWith('{'))
    .map((line) => (JSON.parse(line) as { level: number }).level);
}

describe('corral server logging (real process)', () => {
  it('--log-level warn writes no info lines; without it, info is JSON on a pipe', async () => {
    const quiet = await startCorral({ args: ['--log-level', 'warn'] });
    const normal = await startCorral();
    try {
      expect(quiet.output()).not.toMatch(/"level":30/);
      expect(quiet.output()).not.toMatch(/listening/);
      expect(jsonLevels(normal.output())).toContain(30);
      expect(normal.output()).toMatch(/"msg":"corral listening on/);
    } finally {
      await Promise.all([quiet.stop(), normal.stop()]);
    }
  });

  it('zoo.cfg logLevel=debug logs debug lines; --log-level wins over it', async () => {
    const debug = await startCorral({ zooCfg: ['logLevel=debug'] });
    const overridden = await startCorral({ zooCfg: ['logLevel=debug'], args: ['--log-level',
      'error'] });
    try {
      expect(jsonLevels(debug.output())).toContain(20);
      expect(overridden.output().trim()).toBe('');
    } finally {
      await Promise.all([debug.stop(), overridden.stop()]);
    }
  });

  it('--log-format pretty writes readable lines even on a pipe', async () => {
    const server = await startCorral({ args: ['--log-format', 'pretty'] });
    try {
      expect(server.output()).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO  corral listening on /m);
      expect(server.output()).not.toMatch(/^\{/m);
    } finally {
      await server.stop();
    }
  });

  it.each([
    [['--log-level', 'loud'], [], /invalid --log-level "loud": expected one of trace, debug/],
    [['--log-format', 'xml'], [], /invalid --log-format "xml"/],
    [[], ['logLevel=verbose'], /invalid logLevel "verbose"/],
  ])('refuses to start with %j %j, naming the flag or key', (args, zooCfg, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'corral-logging-'));
    try {
      const config = join(dir, 'zoo.cfg');
      writeFileSync(config, [`dataDir=${dir}/data`, 'clientPort=1', ...zooCfg].join('\n'));
      const result = spawnSync(process.execPath, [corralMain, 'server', '--config', config,
        ...args], { encoding: 'utf8', timeout: 20_000 });
      expect(result.status).toBe(1);
      expect(result.stderr).toMatch(message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
