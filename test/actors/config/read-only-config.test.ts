// readonlymode.enabled: ZooKeeper's switch for read-only service, read from zoo.cfg under its
// name and with ZooKeeper's `zookeeper.` prefix, and from `corral server --readonlymode-enabled`;
// off unless asked for, and a value that is not a boolean stops startup naming the key.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseZooCfg, resolveConfig } from '../../../actors/config/config.js';
import { buildServerConfig } from '../../../cli/server-options.js';

const minimal = 'clientPort=2181\ndataDir=/var/lib/corral\n';
const silent = { info: () => undefined, warn: () => undefined };

function readOnlyModeOf(lines: string[]): boolean {
  const text = `${minimal}${lines.join('\n')}\n`;
  return resolveConfig(parseZooCfg(text, 'zoo.cfg').config, { log: silent }).readOnlyModeEnabled;
}

describe('readonlymode.enabled', () => {
  it('is off by default, as in ZooKeeper', () => {
    expect(readOnlyModeOf([])).toBe(false);
  });

  it.each<[string, boolean]>([
    ['readonlymode.enabled=true', true],
    ['readonlymode.enabled=false', false],
    ['zookeeper.readonlymode.enabled=true', true],
    ['zookeeper.readonlymode.enabled=false', false],
  ])('reads %s as %s', (line, expected) => {
    expect(readOnlyModeOf([line])).toBe(expected);
  });

  it.each<[string, string[]]>([
    ['', ['srvr', 'isro']],
    ['4lw.commands.whitelist=ruok', ['ruok', 'isro']],
    ['4lw.commands.whitelist=isro,ruok', ['isro', 'ruok']],
    ['4lw.commands.whitelist=*', ['*']],
  ])('whitelists isro with it, as FourLetterCommands does (%s)', (line, expected) => {
    const text = `${minimal}readonlymode.enabled=true\n${line}\n`;
    const config = resolveConfig(parseZooCfg(text, 'zoo.cfg').config, { log: silent });
    expect(config.fourLetterWordWhitelist).toEqual(expected);
  });

  it('stops startup on a value that is not a boolean, naming the key', () => {
    let caught: unknown;
    try {
      readOnlyModeOf(['readonlymode.enabled=yes']);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toContain('readonlymode.enabled');
  });

  it('is switched on by --readonlymode-enabled', () => {
    const flags = { clientPort: '2181', dataDir: '/var/lib/corral' };
    expect(buildServerConfig(flags, silent).readOnlyModeEnabled).toBe(false);
    const enabled = buildServerConfig({ ...flags, readonlymodeEnabled: true }, silent);
    expect(enabled.readOnlyModeEnabled).toBe(true);
  });
});

// QuorumPeerConfig reads both by their bare names (no zookeeper. form) with parseBoolean.
describe('localSessionsEnabled, localSessionsUpgradingEnabled', () => {
  function localOf(lines: string[]) {
    const text = `${minimal}${lines.join('\n')}\n`;
    const config = resolveConfig(parseZooCfg(text, 'zoo.cfg').config, { log: silent });
    return [config.localSessionsEnabled, config.localSessionsUpgradingEnabled];
  }

  it.each<[string[], boolean[]]>([
    [[], [false, false]],
    [['localSessionsEnabled=true'], [true, false]],
    [['localSessionsEnabled=TRUE', 'localSessionsUpgradingEnabled=true'], [true, true]],
    [['localSessionsEnabled=false', 'localSessionsUpgradingEnabled=False'], [false, false]],
  ])('reads %j as %j (both off by default, as QuorumPeerConfig)', (lines, expected) => {
    expect(localOf(lines)).toEqual(expected);
  });

  it.each(['localSessionsEnabled=yes', 'localSessionsUpgradingEnabled=1'])(
    'stops startup on %s, naming the key', (line) => {
      const key = line.split('=')[0]!;
      expect(() => localOf([line])).toThrow(ConfigError);
      expect(() => localOf([line])).toThrow(key);
    });
});
