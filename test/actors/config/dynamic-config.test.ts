// Reading ZooKeeper 3.5+'s dynamic configuration: a zoo.cfg naming `dynamicConfigFile`, the file's
// membership and its version (the name's hex suffix), the refusals QuorumPeerConfig makes (each
// naming the key), and the `.next` proposal beside zoo.cfg. Real files in a temp dir throughout.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, isEnsemble } from '../../../actors/config/config.js';
import {
  nextDynamicConfigPath,
  parseHexVersion,
  versionFromFileName,
} from '../../../actors/config/dynamic-config.js';
import { readZooCfgFile } from '../../../actors/config/zoo-cfg-file.js';
import { buildServerConfig } from '../../../cli/server-options.js';

const directories: string[] = [];
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

const quiet = { info: () => undefined, warn: () => undefined };

/** A conf dir with zoo.cfg and the given files, and a data dir holding myid `myId`. */
function confDir(files: Record<string, string>, myId = 2): { dir: string; zooCfg: string } {
  const dir = mkdtempSync(join(tmpdir(), 'corral-dynamic-config-'));
  directories.push(dir);
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'myid'), `${myId}\n`);
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text.replaceAll('$DIR', dir));
  }
  return { dir, zooCfg: join(dir, 'zoo.cfg') };
}

/** zoo.cfg as ZooKeeper 3.5+ leaves it after a reconfiguration (editStaticConfig's output). */
const zooCfg35 = [
  'initLimit=10', 'syncLimit=5', 'tickTime=2000', 'dataDir=$DIR/data',
  'reconfigEnabled=true', 'standaloneEnabled=false', '4lw.commands.whitelist=*',
  'dynamicConfigFile=$DIR/zoo.cfg.dynamic.100000000', '',
].join('\n');

/** The dynamic file as QuorumPeerConfig.writeDynamicConfig writes it: sorted, no version, no
 * newline after the last line. */
const dynamic35 = [
  'server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181',
  'server.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182',
  'server.3=127.0.0.1:2890:3890:observer;0.0.0.0:2183',
].join('\n');

describe('a ZooKeeper 3.5+ zoo.cfg with a dynamic config file', () => {
  it('reads the membership and the version 0x100000000 from the file name', () => {
    const { dir, zooCfg } = confDir({ 'zoo.cfg': zooCfg35,
      'zoo.cfg.dynamic.100000000': dynamic35 });
    const parsed = readZooCfgFile(zooCfg).config;
    expect([...parsed.servers!.keys()]).toEqual([1, 2, 3]);
    expect(parsed.servers!.get(3)).toEqual({ id: 3, host: '127.0.0.1', quorumPort: 2890,
      electionPort: 3890, peerType: 'observer', client: { host: '0.0.0.0', port: 2183 } });
    expect(parsed).toMatchObject({ configVersion: 0x100000000n, configPath: zooCfg,
      dynamicConfigFile: join(dir, 'zoo.cfg.dynamic.100000000') });
  });

  it('starts a replica: myid 2 takes its client address from its line in the dynamic file', () => {
    const { zooCfg } = confDir({ 'zoo.cfg': zooCfg35, 'zoo.cfg.dynamic.100000000': dynamic35 });
    const config = buildServerConfig({ config: zooCfg }, quiet);
    expect(config).toMatchObject({ myId: 2, clientPort: 2182, clientPortAddress: '127.0.0.1',
      configVersion: 0x100000000n, configPath: zooCfg, lastSeenMembership: undefined });
    expect(isEnsemble(config)).toBe(true);
  });

  it('takes version 0 from a dynamic file whose name has no hex suffix', () => {
    const { zooCfg } = confDir({
      'zoo.cfg': zooCfg35.replace('zoo.cfg.dynamic.100000000', 'zoo.cfg.dynamic'),
      'zoo.cfg.dynamic': dynamic35,
    });
    expect(readZooCfgFile(zooCfg).config.configVersion).toBe(0n);
  });

  it('reads group.N and weight.N from the dynamic file', () => {
    const groups = `${dynamic35.replace(':observer', ':participant')}\n` +
      'group.1=1:2\ngroup.2=3\nweight.1=1\nweight.2=1\nweight.3=0';
    const { zooCfg } = confDir({ 'zoo.cfg': zooCfg35, 'zoo.cfg.dynamic.100000000': groups });
    const config = buildServerConfig({ config: zooCfg }, quiet);
    expect(config.quorumHierarchy?.groups).toEqual(new Map([[1, [1, 2]], [2, [3]]]));
    expect(config.quorumHierarchy?.weights.get(3)).toBe(0);
  });

  it('gives zoo.cfg without dynamicConfigFile version 0 and no paths but its own', () => {
    const { zooCfg } = confDir({ 'zoo.cfg': 'dataDir=/d\nclientPort=2181\n' });
    expect(buildServerConfig({ config: zooCfg }, quiet)).toMatchObject({
      configVersion: 0n, dynamicConfigFile: undefined, configPath: zooCfg, peerWireVersion: 5,
    });
  });
});

describe('what QuorumPeerConfig refuses, naming the key', () => {
  const withDynamic = (text: string): Record<string, string> => ({
    'zoo.cfg': zooCfg35, 'zoo.cfg.dynamic.100000000': text,
  });

  it.each([
    ['a version line', withDynamic(`${dynamic35}\nversion=100000000`), 'version',
      'version ($DIR/zoo.cfg.dynamic.100000000:4) is not allowed in a dynamic config file'],
    ['a static key in the dynamic file', withDynamic(`tickTime=2000\n${dynamic35}`), 'tickTime',
      'unrecognised parameter tickTime ($DIR/zoo.cfg.dynamic.100000000:1)'],
    ['a bad server line in the dynamic file', withDynamic('server.1=127.0.0.1:2888'), 'server.1',
      '($DIR/zoo.cfg.dynamic.100000000:1)'],
    ['a server line in zoo.cfg beside dynamicConfigFile',
      { ...withDynamic(dynamic35), 'zoo.cfg': `server.4=h:1:2\n${zooCfg35}` }, 'server.4',
      'server.4 ($DIR/zoo.cfg:1) must be in the dynamic config file'],
    ['a group line in zoo.cfg before dynamicConfigFile',
      { ...withDynamic(dynamic35), 'zoo.cfg': `group.1=1:2\n${zooCfg35}` }, 'group.1',
      'group.1 ($DIR/zoo.cfg:1) must be in the dynamic config file'],
    ['a missing dynamic file', { 'zoo.cfg': zooCfg35 }, 'dynamicConfigFile',
      'cannot read dynamic config file $DIR/zoo.cfg.dynamic.100000000'],
  ])('refuses %s', (_situation, files, key, message) => {
    const { dir, zooCfg } = confDir(files);
    let error: unknown;
    try {
      buildServerConfig({ config: zooCfg }, quiet);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe(key);
    expect((error as ConfigError).message).toContain(message.replaceAll('$DIR', dir));
  });

  it('refuses the membership in zoo.cfg beside dynamicConfigFile wherever it stands', () => {
    const { zooCfg } = confDir({ 'zoo.cfg': `${zooCfg35}weight.1=2\n`,
      'zoo.cfg.dynamic.100000000': dynamic35 });
    expect(() => readZooCfgFile(zooCfg)).toThrow(/weight\.1 .* must be in the dynamic/);
  });
});

describe('the version in a dynamic file\'s name (getVersionFromFilename)', () => {
  it.each([
    ['/conf/zoo.cfg.dynamic.100000000', 0x100000000n],
    ['zoo.cfg.dynamic.0', 0n],
    ['zoo.cfg.dynamic.CAFE', 0xcafen],
    ['zoo.cfg.dynamic.7fffffffffffffff', 0x7fffffffffffffffn],
    ['zoo.cfg.dynamic.-1', 0xffffffffffffffffn],
    ['zoo.cfg.dynamic', undefined],
    ['/etc/zk.d/dynamic', undefined],
    ['zoo.cfg.dynamic.', undefined],
    ['zoo.cfg.dynamic.8000000000000000', undefined],
    ['dynamic', undefined],
  ])('%s has version %s', (name, version) => {
    expect(versionFromFileName(name)).toBe(version);
  });

  it.each([['1a', 0x1an], [' 1', undefined], ['0x1', undefined], ['', undefined]])(
    'reads %j as Long.parseLong(text, 16) does: %s', (text, version) => {
      expect(parseHexVersion(text)).toBe(version);
    });
});

describe('the .next file (a proposal not known to be committed)', () => {
  const next = (version: string): string =>
    `${dynamic35}\nserver.4=127.0.0.1:2891:3891:participant;127.0.0.1:2184\nversion=${version}`;

  it('is the last seen membership when reconfigEnabled and newer than the committed one', () => {
    const { zooCfg } = confDir({ 'zoo.cfg': zooCfg35, 'zoo.cfg.dynamic.100000000': dynamic35,
      'zoo.cfg.dynamic.next': next('100000005') });
    const pending = buildServerConfig({ config: zooCfg }, quiet).lastSeenMembership;
    expect(pending?.version).toBe(0x100000005n);
    expect([...pending!.servers.keys()]).toEqual([1, 2, 3, 4]);
  });

  it.each([
    ['not newer than the committed one', zooCfg35, next('100000000')],
    ['without reconfigEnabled', zooCfg35.replace('reconfigEnabled=true', ''), next('100000005')],
  ])('is passed over when %s', (_situation, zooCfgText, nextText) => {
    const { zooCfg } = confDir({ 'zoo.cfg': zooCfgText, 'zoo.cfg.dynamic.100000000': dynamic35,
      'zoo.cfg.dynamic.next': nextText });
    expect(buildServerConfig({ config: zooCfg }, quiet).lastSeenMembership).toBeUndefined();
  });

  it('is not read for a static zoo.cfg, as ZooKeeper reads it only beside a dynamic file', () => {
    const { dir, zooCfg } = confDir({
      'zoo.cfg': `dataDir=${'$DIR'}/data\nclientPort=2181\nreconfigEnabled=true\n`,
      'zoo.cfg.dynamic.next': 'garbage line without meaning\nversion=zz',
    });
    expect(nextDynamicConfigPath(zooCfg)).toBe(join(dir, 'zoo.cfg.dynamic.next'));
    expect(buildServerConfig({ config: zooCfg }, quiet).lastSeenMembership).toBeUndefined();
  });

  it('refuses a bad version line in it, naming version', () => {
    const { zooCfg } = confDir({ 'zoo.cfg': zooCfg35, 'zoo.cfg.dynamic.100000000': dynamic35,
      'zoo.cfg.dynamic.next': next('zz') });
    expect(() => readZooCfgFile(zooCfg))
      .toThrow(/invalid version "zz" \(.*zoo\.cfg\.dynamic\.next/);
  });
});
