// zoo.cfg parsing and ServerConfig validation: the Properties format, ZooKeeper's defaults and
// cross-field rules, server.N forms, and an error naming the key for every bad value.
import { describe, expect, it } from 'vitest';
import { recordingLog } from '../../support/recording-log.js';
import { buildServerConfig } from '../../../cli/server-options.js';
import {
  ConfigError,
  parseMyId,
  parseQuorumServer,
  parseZooCfg,
  resolveConfig,
  type ServerConfig,
} from '../../../actors/config/config.js';
import { readJavaProperties } from '../../../protocol/config/java-properties.js';

function resolve(text: string): { config: ServerConfig; messages: string[] } {
  const log = recordingLog();
  const config = resolveConfig(parseZooCfg(text, 'zoo.cfg').config, { log });
  return { config, messages: log.messages };
}

const minimal = 'clientPort=2181\ndataDir=/var/lib/corral\n';

describe('java properties reader', () => {
  it.each([
    ['key=value', 'key', 'value'],
    ['key = value', 'key', 'value'],
    ['key value', 'key', 'value'],
    ['key:value', 'key', 'value'],
    ['  key\t=\tvalue  ', 'key', 'value  '],
    ['server.1=h:1:2', 'server.1', 'h:1:2'],
    ['a\\=b=c', 'a=b', 'c'],
    ['path=C:\\\\data', 'path', 'C:\\data'],
    ['unicode=\\u0041', 'unicode', 'A'],
    ['empty=', 'empty', ''],
    ['lonely', 'lonely', ''],
  ])('reads %j as %j = %j', (line, key, value) => {
    expect(readJavaProperties(line)).toEqual([{ key, value, line: 1, lastLine: 1 }]);
  });

  it('skips # and ! comments and blank lines, and joins continued lines', () => {
    const text = '# comment\n! also\n\n  \nlist=a,\\\n    b,\\\n    c\r\nafter=1';
    expect(readJavaProperties(text)).toEqual([
      { key: 'list', value: 'a,b,c', line: 5, lastLine: 7 },
      { key: 'after', value: '1', line: 8, lastLine: 8 },
    ]);
  });
});

describe('parseZooCfg', () => {
  it('reads a typical ZooKeeper zoo.cfg, later keys winning', () => {
    const text = [
      '# The number of milliseconds of each tick',
      'tickTime=2000',
      'initLimit=10',
      'syncLimit=5',
      'dataDir=/tmp/zookeeper',
      'clientPort=2181',
      'clientPort=2182',
      'maxClientCnxns=0',
      '4lw.commands.whitelist=srvr, mntr ,ruok,',
      'admin.enableServer=false',
      'autopurge.snapRetainCount=5',
      'autopurge.purgeInterval=1',
      'authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider',
      'DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=',
      'jute.maxbuffer=4194304',
      'extendedTypesEnabled=TRUE',
    ].join('\n');
    const { config, ignoredKeys } = parseZooCfg(text, 'zoo.cfg');
    expect(config).toEqual({
      tickTimeMs: 2000,
      initLimit: 10,
      syncLimit: 5,
      dataDir: '/tmp/zookeeper',
      clientPort: 2182,
      maxClientConnections: 0,
      fourLetterWordWhitelist: ['srvr', 'mntr', 'ruok'],
      adminServerEnabled: false,
      autopurgeSnapRetainCount: 5,
      autopurgePurgeIntervalHours: 1,
      authProviders: ['org.apache.zookeeper.server.auth.SASLAuthenticationProvider'],
      superDigest: 'super:D/InIHSb7yEEbrWz8b9l71RjZJU=',
      juteMaxBufferBytes: 4194304,
      extendedTypesEnabled: true,
    });
    expect(ignoredKeys).toEqual([]);
  });

  it('reports each key it ignores once, in file order, apart from the guide\'s keys', () => {
    const text =
      `${minimal}myTool.option=1\npreAllocSize=1000\nquorumListenOnAllIPs=false\n` +
      'myTool.option=2\nmetricsProvider.numWorkerThreads=1\nzookeeper.someProperty=x';
    const parsed = parseZooCfg(text, 'zoo.cfg');
    expect(parsed.ignoredKeys).toEqual(['myTool.option', 'zookeeper.someProperty']);
    expect(parsed.equivalentKeys.map((entry) => entry.key)).toEqual([
      'preAllocSize',
      'quorumListenOnAllIPs',
      'metricsProvider.numWorkerThreads',
    ]);
  });

  it.each([
    'ssl.crl=true',
    'zookeeper.ssl.quorum.crl=true',
    'quorum.auth.kerberos.servicePrincipal=zkquorum/localhost',
    'quorum.auth.learner.kerberosPrincipal=zkquorum/localhost',
    'zookeeper.quorum.auth.enableSasl=true',
    'ssl.context.supplier.class=com.example.Supplier',
    'ssl.ocsp=true',
    'authProvider.1=com.example.OwnProvider',
  ])('refuses to start on %s, naming the key, rather than run without it', (line) => {
    const key = line.slice(0, line.indexOf('='));
    let error: unknown;
    try {
      parseZooCfg(`${minimal}${line}\n`, 'zoo.cfg');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe(key);
    expect((error as ConfigError).message).toContain(key);
  });

  it.each([
    ['audit.enable=true', { auditEnabled: true }],
    ['zookeeper.audit.enable=true', { auditEnabled: true }],
    ['audit.enable=false\naudit.logFile=/var/log/corral/audit.log',
      { auditEnabled: false, auditLogFile: '/var/log/corral/audit.log' }],
  ])('reads the audit keys from %s', (lines, expected) => {
    expect(parseZooCfg(`${minimal}${lines}\n`, 'zoo.cfg').config).toMatchObject(expected);
  });

  it('accepts a security key that asks for nothing, and the providers corral has', () => {
    const text =
      `${minimal}sslQuorum=false\nquorum.auth.enableSasl=false\n` +
      'authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider\n';
    expect(() => parseZooCfg(text, 'zoo.cfg')).not.toThrow();
  });

  it('parses server.N lines for the ensemble', () => {
    const text = [
      'server.1=zk1:2888:3888',
      'server.2=zk2:2888:3888:participant;2181',
      'server.3=[::1]:2888:3888:observer;[::1]:2181',
      'server.4=zk4:2888:3888;10.0.0.4:2181',
    ].join('\n');
    const servers = parseZooCfg(text, 'zoo.cfg').config.servers;
    expect([...(servers ?? new Map()).values()]).toEqual([
      { id: 1, host: 'zk1', quorumPort: 2888, electionPort: 3888, peerType: 'participant' },
      {
        id: 2, host: 'zk2', quorumPort: 2888, electionPort: 3888, peerType: 'participant',
        client: { host: '0.0.0.0', port: 2181 },
      },
      {
        id: 3, host: '::1', quorumPort: 2888, electionPort: 3888, peerType: 'observer',
        client: { host: '::1', port: 2181 },
      },
      {
        id: 4, host: 'zk4', quorumPort: 2888, electionPort: 3888, peerType: 'participant',
        client: { host: '10.0.0.4', port: 2181 },
      },
    ]);
  });

  it('takes member ids past 255, as QuorumServer takes any long; myid stays 1-255', () => {
    const servers = parseZooCfg('server.999=zk9:2888:3888:observer', 'zoo.cfg').config.servers;
    expect(servers?.get(999)).toMatchObject({ id: 999, host: 'zk9', peerType: 'observer' });
    expect(() => parseMyId('999', 'myid')).toThrow('invalid myid "999": expected a server id 1-255');
  });

  it.each([
    ['tickTime=abc', 'invalid tickTime "abc": expected a positive integer (zoo.cfg:1)'],
    ['tickTime=0', 'invalid tickTime "0": expected a positive integer (zoo.cfg:1)'],
    ['tickTime=1.5', 'invalid tickTime "1.5": expected a positive integer (zoo.cfg:1)'],
    ['tickTime=99999999999', 'invalid tickTime "99999999999": expected a positive integer'],
    ['clientPort=70000', 'invalid clientPort "70000": expected a port number 1-65535'],
    ['clientPort=', 'invalid clientPort "": expected a port number 1-65535'],
    ['dataDir=', 'invalid dataDir "": expected a non-empty value'],
    ['initLimit=-1', 'invalid initLimit "-1": expected a positive integer'],
    ['syncLimit=x', 'invalid syncLimit "x": expected a positive integer'],
    ['maxClientCnxns=-1', 'invalid maxClientCnxns "-1": expected a non-negative integer'],
    ['minSessionTimeout=soon', 'invalid minSessionTimeout "soon": expected a positive number'],
    ['maxSessionTimeout=0', 'invalid maxSessionTimeout "0": expected a positive number'],
    ['reconfigEnabled=yes', 'invalid reconfigEnabled "yes": expected true or false'],
    ['extendedTypesEnabled=1', 'invalid extendedTypesEnabled "1": expected true or false'],
    ['4lw.commands.whitelist=srvr,status', 'invalid 4lw.commands.whitelist "srvr,status"'],
    ['jute.maxbuffer=big', 'invalid jute.maxbuffer "big": expected a positive integer'],
    ['DigestAuthenticationProvider.superDigest=super', 'invalid DigestAuthenticationProvider'],
    ['admin.serverPort=0', 'invalid admin.serverPort "0": expected a port number 1-65535'],
    ['admin.enableServer=on', 'invalid admin.enableServer "on": expected true or false'],
    ['inspect.port=99999', 'invalid inspect.port "99999": expected a port number 1-65535'],
    ['autopurge.purgeInterval=-2', 'invalid autopurge.purgeInterval "-2"'],
    ['autopurge.snapRetainCount=0', 'invalid autopurge.snapRetainCount "0"'],
    ['peerType=witness', 'invalid peerType "witness": expected participant or observer'],
    ['electionAlg=1', 'invalid electionAlg "1": only 3 (fast leader election) is supported'],
    // ZooKeeper serves unless the value is exactly `no`, so `false` would still serve there.
    ['leaderServes=false', 'invalid leaderServes "false": expected yes or no'],
    ['authProvider.1=', 'invalid authProvider.1 "": expected a non-empty value'],
    ['server.x=h:1:2', 'invalid server.x "x": expected a positive server id'],
    ['server.0=h:1:2', 'invalid server.0 "0": expected a positive server id'],
    ['server.1=h:1', 'invalid server.1 "h:1": expected host:quorumPort:electionPort'],
    ['server.1=h:1:2:3:4', 'invalid server.1 "h:1:2:3:4": expected host:quorumPort'],
    ['server.1=:1:2', 'invalid server.1 ":1:2": expected host:quorumPort'],
    ['server.1=h:x:2', 'invalid server.1 "h:x:2": expected host:quorumPort'],
    ['server.1=h:1:2:voter', 'invalid server.1 "voter": expected participant or observer'],
    ['server.1=h:1:2;a:b:c', 'invalid server.1 "h:1:2;a:b:c": expected host:quorumPort'],
    ['server.1=h:1:2;1;2', 'invalid server.1 "h:1:2;1;2": expected host:quorumPort'],
    ['server.1=[::1:1:2', 'invalid server.1 "[::1:1:2": expected host:quorumPort'],
    ['server.1=h:1:2;99999', 'invalid server.1 "h:1:2;99999": expected host:quorumPort'],
  ])('rejects %j naming the key', (line, message) => {
    const parse = (): unknown => parseZooCfg(line, 'zoo.cfg');
    expect(parse).toThrow(ConfigError);
    expect(parse).toThrow(message);
  });

  it('puts the file name and line of a bad value in the error', () => {
    expect(() => parseZooCfg('# x\ntickTime=2000\ninitLimit=ten\n', '/etc/zoo.cfg')).toThrow(
      'invalid initLimit "ten": expected a positive integer (/etc/zoo.cfg:3)',
    );
  });

  it('takes -1 session timeouts as "derive from tickTime", as ZooKeeper does', () => {
    const text = `${minimal}tickTime=100\nminSessionTimeout=-1\nmaxSessionTimeout=-1`;
    const { config } = resolve(text);
    expect([config.minSessionTimeoutMs, config.maxSessionTimeoutMs]).toEqual([200, 2000]);
  });
});

describe('resolveConfig', () => {
  it('fills ZooKeeper defaults', () => {
    const { config, messages } = resolve(minimal);
    expect(config).toMatchObject({
      clientPort: 2181,
      clientPortAddress: '0.0.0.0',
      dataDir: '/var/lib/corral',
      dataLogDir: undefined,
      tickTimeMs: 2000,
      initLimit: 10,
      syncLimit: 5,
      maxClientConnections: 60,
      minSessionTimeoutMs: 4000,
      maxSessionTimeoutMs: 40000,
      fourLetterWordWhitelist: ['srvr'],
      extendedTypesEnabled: false,
      reconfigEnabled: false,
      juteMaxBufferBytes: 0xfffff,
      authProviders: [],
      superDigest: undefined,
      jaasFile: undefined,
      adminServerEnabled: false,
      adminServerPort: 8080,
      autopurgeSnapRetainCount: 3,
      autopurgePurgeIntervalHours: 0,
      peerType: 'participant',
      inspect: false,
    });
    expect(config.servers.size).toBe(0);
    expect(config.digestUsers.size).toBe(0);
    expect(messages).toEqual([]);
  });

  it.each([
    ['dataDir=/d', 'clientPort is not set: set it in zoo.cfg or with --client-port'],
    ['clientPort=2181', 'dataDir is not set: set it in zoo.cfg or with --data-dir'],
    [
      `${minimal}minSessionTimeout=5000\nmaxSessionTimeout=4000`,
      'invalid minSessionTimeout "5000": must not be larger than maxSessionTimeout (4000)',
    ],
    [
      `${minimal}tickTime=3000\nmaxSessionTimeout=5000`,
      'invalid minSessionTimeout "6000": must not be larger than maxSessionTimeout (5000)',
    ],
    [
      `${minimal}extendedTypesEnabled=true\nserver.255=h:1:2`,
      'invalid server.255: with extendedTypesEnabled a server id must be 1-254',
    ],
  ])('rejects %j', (text, message) => {
    expect(() => resolve(text)).toThrow(message);
  });

  it.each([
    [{ tickTimeMs: 0 }, 'invalid tickTime "0": expected a positive integer'],
    [{ clientPort: 65536 }, 'invalid clientPort "65536": expected a port number 1-65535'],
    [{ maxClientConnections: -5 }, 'invalid maxClientCnxns "-5"'],
    [{ fourLetterWordWhitelist: ['ruok', 'x'] }, 'invalid 4lw.commands.whitelist "ruok,x"'],
  ] as Array<[Partial<ServerConfig>, string]>)(
    'checks values set in code with the zoo.cfg rules: %j',
    (fields, message) => {
      const partial = { clientPort: 2181, dataDir: '/d', ...fields };
      expect(() => resolveConfig(partial, { log: recordingLog() })).toThrow(message);
    },
  );

  it('raises autopurge.snapRetainCount below 3 to 3 with a warning, as ZooKeeper does', () => {
    const { config, messages } = resolve(`${minimal}autopurge.snapRetainCount=2`);
    expect(config.autopurgeSnapRetainCount).toBe(3);
    expect(messages).toEqual(['warn: autopurge.snapRetainCount 2 is below 3; using 3']);
  });

  it('starts the admin server only when asked: a port, or admin.enableServer=true', () => {
    const { config, messages } = resolve(
      `${minimal}admin.serverAddress=127.0.0.1\nadmin.serverPort=9090\nadmin.commandURL=/cmd`,
    );
    expect(config).toMatchObject({
      adminServerEnabled: true,
      adminServerAddress: '127.0.0.1',
      adminServerPort: 9090,
      adminCommandUrl: '/cmd',
    });
    expect(messages).toEqual([]);
    expect(resolve(minimal).config.adminServerEnabled).toBe(false);
    expect(resolve(`${minimal}admin.enableServer=true`).config).toMatchObject({
      adminServerEnabled: true,
      adminServerPort: 8080,
    });
    expect(resolve(`${minimal}admin.serverPort=9090\nadmin.enableServer=false`).config
      .adminServerEnabled).toBe(false);
  });

  it('serves the inspect bridge only when asked: --inspect, or a port named in zoo.cfg', () => {
    expect(resolve(minimal).config).toMatchObject({
      inspect: false, inspectAddress: '127.0.0.1', inspectPort: 8082,
    });
    const { config, messages } = resolve(`${minimal}inspect.port=9191\ninspect.address=::1`);
    expect(config).toMatchObject({ inspect: true, inspectAddress: '::1', inspectPort: 9191 });
    expect(messages).toEqual([]);
    const flags = { clientPort: '2181', dataDir: '/d', inspectPort: '9292' };
    expect(buildServerConfig(flags, recordingLog())).toMatchObject({
      inspect: true, inspectPort: 9292,
    });
    expect(() => buildServerConfig({ ...flags, inspectPort: '0' }, recordingLog()))
      .toThrow('invalid --inspect-port "0"');
  });

  it('warns about whitelisted words it does not know, and keeps *', () => {
    const { config, messages } = resolve(`${minimal}4lw.commands.whitelist=*,hash,zzzz`);
    expect(config.fourLetterWordWhitelist).toEqual(['*', 'hash', 'zzzz']);
    expect(messages).toEqual([
      'warn: 4lw.commands.whitelist names words corral does not know: zzzz',
    ]);
  });
});

describe('server ids', () => {
  it.each([
    ['3\n', 3],
    [' 12 \r\nignored', 12],
    ['\n\t7 \n', 7],
  ])('reads myid %j as %d', (text, id) => {
    expect(parseMyId(text, 'myid')).toBe(id);
  });

  it.each(['', 'zero', '0', '300'])('rejects myid %j', (text) => {
    expect(() => parseMyId(text, '/data/myid')).toThrow(`invalid myid "${text}"`);
  });

  it('parses one server line on its own', () => {
    expect(parseQuorumServer('server.7', 'h:1:2:OBSERVER')).toEqual({
      id: 7,
      host: 'h',
      quorumPort: 1,
      electionPort: 2,
      peerType: 'observer',
    });
  });
});

describe('snapshot.compression.method and digest.enabled', () => {
  it.each([
    ['snapshot.compression.method=gz', { snapshotCompression: 'gz' }],
    ['snapshot.compression.method=SNAPPY', { snapshotCompression: 'snappy' }],
    ['snapshot.compression.method=', { snapshotCompression: 'none' }],
    ['zookeeper.snapshot.compression.method=none', { snapshotCompression: 'none' }],
    ['', { snapshotCompression: 'none', digestEnabled: true }],
    ['digest.enabled=false', { digestEnabled: false }],
    ['zookeeper.digest.enabled=FALSE', { digestEnabled: false }],
  ])('%s', (line, expected) => {
    expect(resolve(`${minimal}${line}`).config).toMatchObject(expected);
  });

  it.each([
    ['snapshot.compression.method=lz4', 'snapshot.compression.method'],
    ['zookeeper.snapshot.compression.method=zstd', 'zookeeper.snapshot.compression.method'],
    ['digest.enabled=maybe', 'digest.enabled'],
  ])('%s stops startup naming the key', (line, key) => {
    expect(() => resolve(`${minimal}${line}`)).toThrow(key);
  });
});
