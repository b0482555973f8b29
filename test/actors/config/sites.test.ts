// corral's `site.N=NAME` through the real readers: a static zoo.cfg, a dynamic config file and its
// `.next` proposal (real files in a temp dir), `--site` over both, the refusals (each ConfigError
// naming its key or flag), and the files a committed reconfiguration writes back.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  parseZooCfg,
  resolveConfig,
  type ServerConfig,
} from '../../../actors/config/config.js';
import { writeDynamicConfig } from '../../../actors/config/dynamic-config-writer.js';
import { ownSite, parseSiteFlags } from '../../../actors/config/sites.js';
import { readZooCfgFile } from '../../../actors/config/zoo-cfg-file.js';
import {
  configMembershipOf,
  membershipOfConfig,
} from '../../../actors/replica/membership-files.js';
import { buildServerConfig } from '../../../cli/server-options.js';

const quiet = { info: () => undefined, warn: () => undefined };
const directories: string[] = [];
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

const servers = (count: number, observers: readonly number[] = []): string[] =>
  Array.from({ length: count }, (_, index) => `server.${index + 1}=127.0.0.1:${2881 + index}:` +
    `${3881 + index}${observers.includes(index + 1) ? ':observer' : ''}`);

function resolve(lines: readonly string[]): ServerConfig {
  const text = ['dataDir=/tmp/corral-sites', 'clientPort=2181', ...lines].join('\n');
  return resolveConfig(parseZooCfg(text, 'zoo.cfg').config, { log: quiet });
}

/** The ConfigError `run` throws, as [key, message]. */
function refusal(run: () => unknown): [string | undefined, string] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return [error.key, error.message];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** A conf dir holding `files` ($DIR replaced by its path) and data/myid. */
function confDir(files: Record<string, string>, myId = 1): string {
  const dir = mkdtempSync(join(tmpdir(), 'corral-sites-'));
  directories.push(dir);
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'myid'), `${myId}\n`);
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text.replaceAll('$DIR', dir));
  }
  return dir;
}

describe('site.N in a static zoo.cfg', () => {
  it('maps each named server to its site; an unnamed one (here the observer) is in none', () => {
    const config = resolve([...servers(4, [4]), 'site.1=eu-west', 'site.2=eu-west',
      'site.3=us-east.zone_b']);
    expect(Object.fromEntries(config.sites)).toEqual({ 1: 'eu-west', 2: 'eu-west',
      3: 'us-east.zone_b' });
    expect(ownSite({ ...config, myId: 3 })).toBe('us-east.zone_b');
    expect(ownSite({ ...config, myId: 4 })).toBeUndefined();
  });

  it('without site lines every server is in no site', () => {
    expect(resolve(servers(3)).sites.size).toBe(0);
    expect(membershipOfConfig(resolve(servers(3))).sites).toBeUndefined();
  });

  it('the membership the replicas carry (the leader\'s view) knows every server\'s site', () => {
    const config = resolve([...servers(3), 'site.1=eu', 'site.3=us']);
    const membership = membershipOfConfig(config);
    expect(membership.sites).toEqual({ 1: 'eu', 3: 'us' });
    expect(configMembershipOf(membership).sites).toEqual(config.sites);
  });

  it('a later line for the same key wins, as Properties.load; an observer may have a site', () => {
    const config = resolve([...servers(3, [3]), 'site.1=a', 'site.3=obs', 'site.1=b']);
    expect(Object.fromEntries(config.sites)).toEqual({ 1: 'b', 3: 'obs' });
  });

  it('a standalone server run from its one server line takes that line\'s site', () => {
    const config = resolve([servers(1)[0]!, 'site.1=eu-west']);
    expect(config.myId).toBeUndefined();
    expect(ownSite(config)).toBe('eu-west');
  });

  it.each([
    ['an empty name', [...servers(3), 'site.1='], 'site.1', 'expected a site name of 1-64'],
    ['a name of 65 characters', [...servers(3), `site.1=${'a'.repeat(65)}`], 'site.1',
      'expected a site name of 1-64'],
    ['a space in the name', [...servers(3), 'site.2=eu west'], 'site.2', 'A-Z a-z 0-9 . _ -'],
    ['a slash in the name', [...servers(3), 'site.2=eu/west'], 'site.2', 'A-Z a-z 0-9'],
    ['a colon in the name', [...servers(3), 'site.2=eu:west'], 'site.2', 'A-Z a-z 0-9'],
    ['an id that is not a number', [...servers(3), 'site.x=eu'], 'site.x',
      'expected a positive server id'],
    ['id 0', [...servers(3), 'site.0=eu'], 'site.0', 'expected a positive server id'],
    ['a server outside the ensemble', [...servers(3), 'site.4=eu'], 'site.4',
      'server 4 is not in the ensemble (servers 1, 2, 3)'],
    ['site.01 beside site.1', [...servers(3), 'site.1=eu', 'site.01=us'], 'site.01',
      'site.1 already names site.1'],
    ['no server lines (standalone)', ['site.1=eu'], 'site.1',
      'there are no server.N lines, so this server runs standalone'],
  ])('refuses %s, naming the key', (_, lines, key, message) => {
    const [refusedKey, refusedMessage] = refusal(() => resolve(lines));
    expect(refusedKey).toBe(key);
    expect(refusedMessage).toContain(message);
  });
});

const zooCfgDynamic = ['tickTime=2000', 'initLimit=10', 'syncLimit=5', 'dataDir=$DIR/data',
  'reconfigEnabled=true', 'standaloneEnabled=false',
  'dynamicConfigFile=$DIR/zoo.cfg.dynamic.100000000', ''].join('\n');
const dynamicLines = [
  'server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181',
  'server.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182',
  'server.3=127.0.0.1:2890:3890:observer;127.0.0.1:2183',
];

describe('site.N in the dynamic config file', () => {
  it('reads sites beside the server lines, and the .next proposal\'s too', () => {
    const dir = confDir({
      'zoo.cfg': zooCfgDynamic,
      'zoo.cfg.dynamic.100000000': [...dynamicLines, 'site.1=eu', 'site.3=us'].join('\n'),
      'zoo.cfg.dynamic.next': [...dynamicLines, 'site.1=eu', 'site.2=eu', 'site.3=us',
        'version=200000000'].join('\n'),
    });
    const config = buildServerConfig({ config: join(dir, 'zoo.cfg') }, quiet);
    expect(Object.fromEntries(config.sites)).toEqual({ 1: 'eu', 3: 'us' });
    expect(Object.fromEntries(config.lastSeenMembership!.sites!)).toEqual({ 1: 'eu', 2: 'eu',
      3: 'us' });
  });

  it.each([
    ['a bad name', [...dynamicLines, 'site.2=eu west'], 'site.2', 'expected a site name'],
    ['a server it does not list', [...dynamicLines, 'site.9=eu'], 'site.9',
      'server 9 is not in the ensemble'],
  ])('refuses %s there, naming the key', (_, lines, key, message) => {
    const dir = confDir({ 'zoo.cfg': zooCfgDynamic,
      'zoo.cfg.dynamic.100000000': lines.join('\n') });
    const [refusedKey, refusedMessage] = refusal(() =>
      buildServerConfig({ config: join(dir, 'zoo.cfg') }, quiet));
    expect(refusedKey).toBe(key);
    expect(refusedMessage).toContain(message);
  });

  it('refuses site.N in zoo.cfg beside dynamicConfigFile: sites go with the server lines', () => {
    const dir = confDir({ 'zoo.cfg': `${zooCfgDynamic}site.1=eu\n`,
      'zoo.cfg.dynamic.100000000': dynamicLines.join('\n') });
    const [key, message] = refusal(() => readZooCfgFile(join(dir, 'zoo.cfg')));
    expect(key).toBe('site.1');
    expect(message).toContain('must be in the dynamic config file');
  });

  it('a committed reconfiguration writes the sites into the new file and keeps them', () => {
    const staticCfg = ['tickTime=2000', 'dataDir=$DIR/data', 'reconfigEnabled=true',
      'standaloneEnabled=false', ...dynamicLines, 'site.1=eu', 'site.2=eu', ''].join('\n');
    const dir = confDir({ 'zoo.cfg': staticCfg });
    const configPath = join(dir, 'zoo.cfg');
    const before = buildServerConfig({ config: configPath }, quiet);
    const { dynamicConfigFile } = writeDynamicConfig({ configPath, myId: 1 }, {
      servers: before.servers, sites: before.sites, version: 0x100000004n });
    expect(readFileSync(dynamicConfigFile, 'utf8').split('\n'))
      .toEqual(expect.arrayContaining(['site.1=eu', 'site.2=eu']));
    // zoo.cfg loses its site lines with its server lines, so a removed server's site cannot
    // outlive it there.
    expect(readFileSync(configPath, 'utf8')).not.toMatch(/^site\./m);
    const after = buildServerConfig({ config: configPath }, quiet);
    expect(after.configVersion).toBe(0x100000004n);
    expect(Object.fromEntries(after.sites)).toEqual({ 1: 'eu', 2: 'eu' });
  });
});

describe('--site N=NAME', () => {
  it('wins over zoo.cfg for its id and leaves the other ids\' sites alone', () => {
    const dir = confDir({ 'zoo.cfg': ['tickTime=2000', 'dataDir=$DIR/data', 'clientPort=2181',
      ...servers(3), 'site.1=eu', 'site.2=eu', ''].join('\n') });
    const config = buildServerConfig({ config: join(dir, 'zoo.cfg'),
      site: ['2=us-east', '3=ap'] }, quiet);
    expect(Object.fromEntries(config.sites)).toEqual({ 1: 'eu', 2: 'us-east', 3: 'ap' });
    expect(ownSite(config)).toBe('eu');
  });

  it('wins over the dynamic file too', () => {
    const dir = confDir({ 'zoo.cfg': zooCfgDynamic,
      'zoo.cfg.dynamic.100000000': [...dynamicLines, 'site.1=eu'].join('\n') });
    const config = buildServerConfig({ config: join(dir, 'zoo.cfg'), site: ['1=us'] }, quiet);
    expect(config.sites.get(1)).toBe('us');
  });

  it.each([
    [['eu'], '--site', 'expected N=NAME'],
    [['1=eu west'], '--site', 'expected a site name'],
    [['x=eu'], '--site', 'expected a positive server id'],
    [['1=eu', '1=us'], '--site', 'server 1 is given a site twice'],
  ])('refuses %j, naming --site', (specs, key, message) => {
    const [refusedKey, refusedMessage] = refusal(() => parseSiteFlags(specs));
    expect(refusedKey).toBe(key);
    expect(refusedMessage).toContain(message);
  });

  it('refuses a site for a server the ensemble lacks, naming site.N', () => {
    const dir = confDir({ 'zoo.cfg': ['tickTime=2000', 'dataDir=$DIR/data', 'clientPort=2181',
      ...servers(3), ''].join('\n') });
    const [key, message] = refusal(() =>
      buildServerConfig({ config: join(dir, 'zoo.cfg'), site: ['7=eu'] }, quiet));
    expect(key).toBe('site.7');
    expect(message).toContain('server 7 is not in the ensemble');
  });
});
