// Writing the dynamic configuration as ZooKeeper's QuorumPeer does: the committed file beside
// zoo.cfg, zoo.cfg rewritten to name it (other lines and comments kept), the `.next` proposal, and
// the conversion of a static zoo.cfg (its .bak at startup, then the first committed file). Each
// written configuration is read back through the reader a restarted replica uses.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { QuorumServerAddress } from '../../../actors/config/config.js';
import type { Membership } from '../../../actors/config/dynamic-config.js';
import {
  dynamicConfigFileText,
  removeNextDynamicConfig,
  rewriteStaticConfig,
  writeDynamicConfig,
  writeNextDynamicConfig,
} from '../../../actors/config/dynamic-config-writer.js';
import { readZooCfgFile } from '../../../actors/config/zoo-cfg-file.js';
import { buildServerConfig } from '../../../cli/server-options.js';

const directories: string[] = [];
afterAll(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true });
});

const quiet = { info: () => undefined, warn: () => undefined };

function confDir(zooCfgText: string, myId = 1): { dir: string; zooCfg: string } {
  const dir = mkdtempSync(join(tmpdir(), 'corral-dynamic-writer-'));
  directories.push(dir);
  mkdirSync(join(dir, 'data'));
  writeFileSync(join(dir, 'data', 'myid'), `${myId}\n`);
  const zooCfg = join(dir, 'zoo.cfg');
  writeFileSync(zooCfg, zooCfgText.replaceAll('$DIR', dir), { mode: 0o640 });
  return { dir, zooCfg };
}

const member = (id: number, extra: Partial<QuorumServerAddress> = {}): QuorumServerAddress => ({
  id, host: '127.0.0.1', quorumPort: 2887 + id, electionPort: 3887 + id,
  peerType: 'participant', client: { host: '127.0.0.1', port: 2180 + id }, ...extra,
});

const membership = (version: bigint, ids: number[]): Membership => ({
  servers: new Map(ids.map((id) => [id, member(id)])),
  quorumHierarchy: undefined,
  version,
});

describe('the dynamic file\'s text (QuorumPeerConfig.writeDynamicConfig)', () => {
  // Java sorts whole `key=value` strings, so `server.10=` comes before `server.1=` ('0' < '=').
  it('sorts the lines as strings, leaves the version out, and ends without a newline', () => {
    const servers = new Map([1, 2, 10].map((id) => [id, member(id)]));
    servers.set(4, member(4, { peerType: 'observer', client: undefined }));
    const hierarchy = {
      groups: new Map([[1, [1, 2]], [2, [10]]]),
      weights: new Map([[10, 3]]),
    };
    const committed = { servers, quorumHierarchy: hierarchy, version: 0x300000000n };
    expect(dynamicConfigFileText(committed, false)).toBe([
      'group.1=1:2', 'group.2=10',
      'server.10=127.0.0.1:2897:3897:participant;127.0.0.1:2190',
      'server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181',
      'server.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182',
      'server.4=127.0.0.1:2891:3891:observer',
      'weight.10=3', 'weight.1=1', 'weight.2=1',
    ].join('\n'));
    expect(dynamicConfigFileText(committed, true)).toContain('server.4=127.0.0.1:2891:3891:' +
      'observer\nversion=300000000\nweight.10=3');
  });

  it('brackets an IPv6 host, as QuorumServer.toString does', () => {
    const servers = new Map([[1, member(1, { host: '::1', client: { host: '::1', port: 2181 } })]]);
    expect(dynamicConfigFileText({ servers, version: 1n }, false))
      .toBe('server.1=[::1]:2888:3888:participant;[::1]:2181');
  });
});

describe('zoo.cfg rewritten to name the dynamic file (editStaticConfig)', () => {
  const original = [
    '# zoo.cfg of replica 1', 'tickTime=2000', 'server.1=127.0.0.1:2888:3888', '',
    'clientPort=2181', 'clientPortAddress=127.0.0.1', 'peerType=participant',
    '# the ensemble', 'server.2=127.0.0.1:2889:\\', '  3889', 'group.1=1:2', 'weight.1=1',
    '4lw.commands.whitelist=srvr,\\', '  mntr', 'clientPortListenBacklog=50', '',
  ].join('\n');

  it('drops the membership and peerType, keeps every other line and comment, appends the name',
    () => {
      expect(rewriteStaticConfig(original, '/conf/zoo.cfg.dynamic.100000000', true)).toBe([
        '# zoo.cfg of replica 1', 'tickTime=2000', '', '# the ensemble',
        '4lw.commands.whitelist=srvr,\\', '  mntr', 'clientPortListenBacklog=50',
        'dynamicConfigFile=/conf/zoo.cfg.dynamic.100000000', '',
      ].join('\n'));
    });

  it('keeps clientPort and clientPortAddress when this replica\'s line has no client address',
    () => {
      const rewritten = rewriteStaticConfig(original, '/conf/d', false);
      expect(rewritten).toContain('clientPort=2181\nclientPortAddress=127.0.0.1\n# the ensemble');
    });

  it('names the new file in place of the old dynamicConfigFile line, CRLF kept', () => {
    const text = 'tickTime=2000\r\ndynamicConfigFile=/conf/zoo.cfg.dynamic.1\r\nsyncLimit=5';
    expect(rewriteStaticConfig(text, 'C:\\conf\\d.2', false))
      .toBe('tickTime=2000\r\ndynamicConfigFile=C:\\\\conf\\\\d.2\r\nsyncLimit=5');
  });

  it('ends the last line before appending to a file without a final newline', () => {
    expect(rewriteStaticConfig('tickTime=2000', '/d', false)).toBe(
      'tickTime=2000\ndynamicConfigFile=/d\n');
  });
});

describe('writeDynamicConfig, then a restarted replica reading it', () => {
  const staticCfg = [
    '# replica 1', 'tickTime=2000', 'dataDir=$DIR/data', 'clientPort=2181',
    'clientPortAddress=127.0.0.1', 'reconfigEnabled=true', 'admin.enableServer=false',
    'server.1=127.0.0.1:2888:3888;127.0.0.1:2181', 'server.2=127.0.0.1:2889:3889',
    'server.3=127.0.0.1:2890:3890', '',
  ].join('\n');

  it('round-trips servers, groups and weights, and the version', () => {
    const { zooCfg } = confDir(staticCfg);
    const servers = new Map([1, 2, 3].map((id) => [id, member(id)]));
    servers.set(4, member(4, { peerType: 'observer' }));
    const quorumHierarchy = { groups: new Map([[1, [1, 2]], [2, [3]]]),
      weights: new Map([[1, 1], [2, 1], [3, 2]]) };
    const committed = { servers, quorumHierarchy, version: 0x200000003n };
    const { dynamicConfigFile } = writeDynamicConfig({ configPath: zooCfg, myId: 1 }, committed);
    expect(dynamicConfigFile).toBe(realpathSync(`${zooCfg}.dynamic.200000003`));
    const read = buildServerConfig({ config: zooCfg }, quiet);
    expect(read.servers).toEqual(servers);
    expect(read.quorumHierarchy).toEqual(quorumHierarchy);
    expect(read).toMatchObject({ configVersion: 0x200000003n, dynamicConfigFile, myId: 1,
      clientPort: 2181, clientPortAddress: '127.0.0.1' });
  });

  it('keeps zoo.cfg\'s other lines and mode, and leaves earlier dynamic files in place', () => {
    const { dir, zooCfg } = confDir(staticCfg);
    writeDynamicConfig({ configPath: zooCfg, myId: 1 }, membership(0x100000000n, [1, 2, 3]));
    writeDynamicConfig({ configPath: zooCfg, myId: 1 }, membership(0x100000007n, [1, 2]));
    expect(readFileSync(zooCfg, 'utf8')).toBe([
      '# replica 1', 'tickTime=2000', `dataDir=${dir}/data`, 'reconfigEnabled=true',
      'admin.enableServer=false',
      `dynamicConfigFile=${realpathSync(dir)}/zoo.cfg.dynamic.100000007`, '',
    ].join('\n'));
    expect(statSync(zooCfg).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir).sort()).toEqual(['data', 'zoo.cfg', 'zoo.cfg.dynamic.100000000',
      'zoo.cfg.dynamic.100000007']);
    const read = readZooCfgFile(zooCfg).config;
    expect([[...read.servers!.keys()], read.configVersion]).toEqual([[1, 2], 0x100000007n]);
  });
});

describe('the .next file', () => {
  it('holds the proposal with its version until it is removed', () => {
    const { zooCfg } = confDir('dataDir=$DIR/data\nreconfigEnabled=true\n');
    writeDynamicConfig({ configPath: zooCfg, myId: 1 }, membership(0x100000000n, [1, 2, 3]));
    const path = writeNextDynamicConfig(zooCfg, membership(0x100000004n, [1, 2, 3, 4]));
    expect(path).toBe(`${zooCfg}.dynamic.next`);
    expect(readFileSync(path, 'utf8')).toMatch(/server\.4=.*\nversion=100000004$/);
    const pending = buildServerConfig({ config: zooCfg }, quiet).lastSeenMembership;
    expect([pending?.version, pending?.servers.size]).toEqual([0x100000004n, 4]);
    expect(removeNextDynamicConfig(zooCfg)).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(removeNextDynamicConfig(zooCfg)).toBe(false);
    expect(buildServerConfig({ config: zooCfg }, quiet).lastSeenMembership).toBeUndefined();
  });
});

describe('a static zoo.cfg converted (backupOldConfig, then the first committed write)', () => {
  const threeInline = [
    'dataDir=$DIR/data', 'clientPort=2181', 'server.1=127.0.0.1:2888:3888',
    'server.2=127.0.0.1:2889:3889', 'server.3=127.0.0.1:2890:3890',
  ];

  it('is backed up to zoo.cfg.bak at startup with reconfigEnabled, and converted on commit',
    () => {
      const { dir, zooCfg } = confDir([...threeInline, 'reconfigEnabled=true', ''].join('\n'));
      const before = readFileSync(zooCfg, 'utf8');
      const config = buildServerConfig({ config: zooCfg }, quiet);
      expect(readFileSync(`${zooCfg}.bak`, 'utf8')).toBe(before);
      expect(config.configVersion).toBe(0n);
      // The first leader's NEWLEADER zxid becomes the version of the configuration it commits.
      const established = { servers: config.servers, version: 0x100000000n };
      writeDynamicConfig({ configPath: zooCfg, myId: config.myId }, established);
      expect(readFileSync(zooCfg, 'utf8')).toBe(`dataDir=${dir}/data\nclientPort=2181\n` +
        `reconfigEnabled=true\ndynamicConfigFile=${realpathSync(dir)}/zoo.cfg.dynamic.100000000\n`);
      const restarted = buildServerConfig({ config: zooCfg }, quiet);
      expect([restarted.servers, restarted.configVersion, restarted.clientPort])
        .toEqual([config.servers, 0x100000000n, 2181]);
    });

  it.each([
    ['without reconfigEnabled', [...threeInline]],
    ['for one server run standalone', [...threeInline.slice(0, 3), 'reconfigEnabled=true']],
  ])('is not backed up %s', (_situation, lines) => {
    const { zooCfg } = confDir(lines.join('\n'));
    buildServerConfig({ config: zooCfg }, quiet);
    expect(existsSync(`${zooCfg}.bak`)).toBe(false);
  });
});
