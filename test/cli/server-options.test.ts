// `corral server`'s flags over zoo.cfg (cli/server-options.ts): the options declared on the
// command, a config from flags alone, flags winning over the file's keys, the JAAS file named by
// either, and an error naming the flag for every bad value.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { recordingLog } from '../support/recording-log.js';
import { addServerOptions, buildServerConfig } from '../../cli/server-options.js';

describe('corral server flags over zoo.cfg', () => {
  const directory = mkdtempSync(join(tmpdir(), 'corral-config-'));
  const jaasPath = join(directory, 'jaas.conf');
  writeFileSync(jaasPath, 'Server { M required user_super="s3cret" user_bob="b"; };');
  const zooCfgPath = join(directory, 'zoo.cfg');
  writeFileSync(
    zooCfgPath,
    'tickTime=1000\nclientPort=2181\ndataDir=/from/cfg\npreAllocSize=1\n' +
      `jaasLoginConfig=${jaasPath}\n`,
  );

  function flagsOf(argv: string[]): Record<string, unknown> {
    const command = addServerOptions(new Command('server')).exitOverride();
    return command.parse(argv, { from: 'user' }).opts();
  }

  it('declares the options on a commander command', () => {
    expect(
      flagsOf(['--client-port', '2182', '--data-dir', 'd', '--tick-time', '500', '--inspect']),
    ).toEqual({ clientPort: '2182', dataDir: 'd', tickTime: '500', inspect: true });
  });

  it('builds a config from flags alone', () => {
    const log = recordingLog();
    const config = buildServerConfig({ clientPort: '2181', dataDir: '/d' }, log);
    expect(config).toMatchObject({ clientPort: 2181, dataDir: '/d', tickTimeMs: 2000 });
    expect(config.inspect).toBe(false);
    expect(log.messages).toEqual([]);
  });

  it('lets flags win over zoo.cfg, logs ignored keys and loads the JAAS users', () => {
    const log = recordingLog();
    const flags = {
      config: zooCfgPath, clientPort: '23100', clientPortAddress: '127.0.0.1', inspect: true,
    };
    const config = buildServerConfig(flags, log);
    expect(config).toMatchObject({
      clientPort: 23100, clientPortAddress: '127.0.0.1', dataDir: '/from/cfg',
      tickTimeMs: 1000, minSessionTimeoutMs: 2000, inspect: true, jaasFile: jaasPath,
    });
    expect([...config.digestUsers]).toEqual([['super', 's3cret'], ['bob', 'b']]);
    expect(log.messages).toEqual(['info: zoo.cfg key preAllocSize needs nothing more of corral: ' +
      'preallocates txn-log files; LMDB sizes its own file']);
  });

  it('prefers --jaas over jaasLoginConfig', () => {
    const other = join(directory, 'other.conf');
    writeFileSync(other, 'Server { M required user_only="1"; };');
    const config = buildServerConfig({ config: zooCfgPath, jaas: other }, recordingLog());
    expect([...config.digestUsers.keys()]).toEqual(['only']);
  });

  it.each([
    [{ clientPort: 'x', dataDir: '/d' }, 'invalid --client-port "x": expected a port number'],
    [{ clientPort: '1', dataDir: '' }, 'invalid --data-dir "": expected a non-empty value'],
    [{ clientPort: '1', dataDir: '/d', tickTime: '0' }, 'invalid --tick-time "0"'],
    [{ clientPort: '1', dataDir: '/d', clientPortAddress: '' }, 'invalid --client-port-address'],
    [{ dataDir: '/d' }, 'clientPort is not set: set it in zoo.cfg or with --client-port'],
    [{ config: join(directory, 'missing.cfg') }, 'cannot read zoo.cfg '],
    [{ clientPort: '1', dataDir: '/d', jaas: join(directory, 'no.conf') }, 'cannot read JAAS'],
  ])('rejects %j', (flags, message) => {
    expect(() => buildServerConfig(flags, recordingLog())).toThrow(message);
  });
});
