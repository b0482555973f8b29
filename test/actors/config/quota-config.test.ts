// The enforceQuota key: ZooKeeper's zoo.cfg key (read as the system property
// zookeeper.enforceQuota), either spelling, off by default, and a bad value stops startup
// naming the key instead of being read as false the way Java's Boolean.parseBoolean reads it.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseZooCfg, resolveConfig } from '../../../actors/config/config.js';

const minimal = 'dataDir=/tmp/corral-quota-config\nclientPort=2181\n';
const silent = { log: { info: () => undefined, warn: () => undefined } };

function enforceQuotaOf(lines: string): boolean {
  return resolveConfig(parseZooCfg(`${minimal}${lines}`, 'zoo.cfg').config, silent).enforceQuota;
}

describe('enforceQuota in zoo.cfg', () => {
  it.each([
    ['', false],
    ['enforceQuota=true\n', true],
    ['enforceQuota=TRUE\n', true],
    ['enforceQuota=false\n', false],
    ['zookeeper.enforceQuota=true\n', true],
    ['enforce.quota=true\n', true],
    ['zookeeper.enforce.quota=true\n', true],
    ['enforceQuota=true\nenforceQuota=false\n', false],
  ])('%j reads as %s', (lines, expected) => {
    expect(enforceQuotaOf(lines)).toBe(expected);
  });

  it.each(['enforceQuota=yes', 'zookeeper.enforceQuota=1', 'enforce.quota='])(
    'refuses %s, naming the key', (line) => {
      const key = line.slice(0, line.indexOf('='));
      const parse = () => parseZooCfg(`${minimal}${line}\n`, 'zoo.cfg');
      expect(parse).toThrow(ConfigError);
      expect(parse).toThrow(key);
    });
});
