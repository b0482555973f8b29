// The ensemble rules of configuration, as ZooKeeper's QuorumPeerConfig applies them: myid (from
// a real file in a temp data dir, or --myid), the client address on this server's own line,
// unique ids and ports, observers, isEnsemble, and the `corral server` ensemble flags.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { recordingLog } from '../../support/recording-log.js';
import {
  addServerOptions,
  buildServerConfig,
  type ServerFlags,
} from '../../../cli/server-options.js';
import {
  ConfigError,
  isEnsemble,
  parseZooCfg,
  readMyIdFile,
  resolveConfig,
  type QuorumServerAddress,
  type ServerConfig,
} from '../../../actors/config/config.js';
import { ensembleConfigText } from '../../../actors/config/ensemble.js';

/** A fresh data dir, with a myid file holding `myIdText` unless that is undefined. */
function dataDirWith(myIdText: string | undefined): string {
  const directory = mkdtempSync(join(tmpdir(), 'corral-ensemble-config-'));
  if (myIdText !== undefined) writeFileSync(join(directory, 'myid'), myIdText);
  return directory;
}

const threeServers = [
  'server.1=127.0.0.1:2888:3888',
  'server.2=127.0.0.1:2889:3889',
  'server.3=127.0.0.1:2890:3890',
];

/** Resolves zoo.cfg lines as a replica starting in `dataDir` would: the myid file is read. */
function resolveIn(dataDir: string, lines: readonly string[], clientPort = true) {
  const log = recordingLog();
  const text = [`dataDir=${dataDir}`, ...(clientPort ? ['clientPort=2181'] : []), ...lines];
  const partial = parseZooCfg(text.join('\n'), 'zoo.cfg').config;
  const config = resolveConfig(partial, { log, readMyId: readMyIdFile });
  return { config, messages: log.messages };
}

function configErrorOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('myid', () => {
  it.each([
    ['2\n', 2],
    ['  3  \n\n', 3],
    ['\n1\r\n', 1],
    ['3', 3],
  ])('reads the myid file %j as server %d', (text, id) => {
    expect(resolveIn(dataDirWith(text), threeServers).config.myId).toBe(id);
  });

  const missing = 'is missing; write this server\'s id there or pass --myid';
  it.each([
    ['missing', undefined, `myid is not set: <dir>/myid ${missing}`],
    ['empty', '', 'invalid myid "": expected a server id 1-255 (<dir>/myid)'],
    ['not a number', 'two\n', 'invalid myid "two": expected a server id 1-255 (<dir>/myid)'],
    ['zero', '0', 'invalid myid "0": expected a server id 1-255 (<dir>/myid)'],
    ['not a member', '4\n', 'invalid myid "4" (<dir>/myid): not among server.1, server.2'],
  ])('stops startup when the myid file is %s, naming myid and the file', (_case, text, message) => {
    const dataDir = dataDirWith(text);
    const error = configErrorOf(() => resolveIn(dataDir, threeServers));
    expect(error.key).toBe('myid');
    expect(error.message).toContain(message.replace('<dir>', dataDir));
  });

  it('stops startup when the myid file cannot be read (a directory), naming it', () => {
    const dataDir = dataDirWith(undefined);
    mkdirSync(join(dataDir, 'myid'));
    const error = configErrorOf(() => resolveIn(dataDir, threeServers));
    expect([error.key, error.message]).toEqual(['myid', expect.stringContaining(
      `cannot read myid file ${join(dataDir, 'myid')}: EISDIR`)]);
  });

  it('leaves myId undefined and reads no file without server.N lines (standalone)', () => {
    const { config } = resolveIn(dataDirWith('not even a number'), []);
    expect([config.myId, isEnsemble(config)]).toEqual([undefined, false]);
  });

  it('runs one server.N line standalone without a myid, as ZooKeeper does', () => {
    const { config, messages } = resolveIn(dataDirWith(undefined), ['server.1=h:2888:3888']);
    expect([config.myId, config.servers.size, isEnsemble(config)]).toEqual([undefined, 1, false]);
    expect(messages).toContain(
      'warn: only one server.N line and standaloneEnabled=true: running standalone',
    );
  });

  it('needs a myid for one server.N line with standaloneEnabled=false', () => {
    const lines = ['standaloneEnabled=false', 'server.1=h:2888:3888'];
    expect(configErrorOf(() => resolveIn(dataDirWith(undefined), lines)).key).toBe('myid');
    expect(resolveIn(dataDirWith('1'), lines).config.myId).toBe(1);
  });

  it('resolves an ensemble without a myid reader unbound (reports, tests)', () => {
    const text = ['dataDir=/nowhere', 'clientPort=2181', ...threeServers].join('\n');
    const partial = parseZooCfg(text, 'zoo.cfg').config;
    expect(resolveConfig(partial, { log: recordingLog() }).myId).toBeUndefined();
  });
});

describe('the client address on this server\'s own line', () => {
  const ownLine = (client: string): string[] =>
    ['server.1=127.0.0.1:2888:3888', `server.2=127.0.0.1:2889:3889;${client}`];

  it.each([
    ['no clientPort, ;port', [], '2182', 2182, '0.0.0.0'],
    ['no clientPort, ;host:port', [], '127.0.0.1:2182', 2182, '127.0.0.1'],
    ['the same clientPort', ['clientPort=2182'], '2182', 2182, '0.0.0.0'],
    ['a wildcard clientPortAddress', ['clientPort=2182', 'clientPortAddress=0.0.0.0'],
      '127.0.0.1:2182', 2182, '127.0.0.1'],
    ['the same address', ['clientPort=2182', 'clientPortAddress=127.0.0.1'],
      '127.0.0.1:2182', 2182, '127.0.0.1'],
  ])('takes it with %s', (_case, extra, client, port, address) => {
    const { config } = resolveIn(dataDirWith('2'), [...extra, ...ownLine(client)], false);
    expect([config.clientPort, config.clientPortAddress]).toEqual([port, address]);
  });

  it.each([
    ['another port', ['clientPort=2181'], '2182', 'clientPort',
      'invalid clientPort "2181": clientPort and clientPortAddress give 0.0.0.0:2181, ' +
        'but this server\'s line server.2 gives 0.0.0.0:2182'],
    ['another address', ['clientPort=2182', 'clientPortAddress=127.0.0.2'], '127.0.0.1:2182',
      'clientPort', 'give 127.0.0.2:2182, but this server\'s line server.2 gives 127.0.0.1:2182'],
    ['clientPortAddress alone', ['clientPortAddress=127.0.0.1'], '2182', 'clientPortAddress',
      'clientPortAddress is set but clientPort is not set'],
  ])('refuses a zoo.cfg that disagrees with it: %s', (_case, extra, client, key, message) => {
    const lines = [...extra, ...ownLine(client)];
    const error = configErrorOf(() => resolveIn(dataDirWith('2'), lines, false));
    expect([error.key, error.message]).toEqual([key, expect.stringContaining(message)]);
  });

  it('ignores the client address on another server\'s line', () => {
    const error = configErrorOf(() => resolveIn(dataDirWith('1'), ownLine('2182'), false));
    expect([error.key, error.message]).toEqual(['clientPort', expect.stringContaining(
      'clientPort is not set')]);
  });
});

describe('server.N cross-field rules', () => {
  it.each([
    ['an id written twice', ['server.1=a:1:2', 'server.01=b:1:2'], 'server.01',
      'invalid server.01: server.1 already has id 1'],
    ['equal quorum and election ports', ['server.1=a:2888:2888', 'server.2=b:1:2'], 'server.1',
      'invalid server.1: election port a:2888 is already the quorum port of server.1'],
    ['a quorum port twice on a host', ['server.1=a:2888:3888', 'server.2=a:2888:3889'],
      'server.2', 'invalid server.2: quorum port a:2888 is already the quorum port of server.1'],
    ['an election port reused', ['server.1=a:2888:3888', 'server.2=a:3888:2889'], 'server.2',
      'invalid server.2: quorum port a:3888 is already the election port of server.1'],
    ['only observers', ['server.1=a:1:2:observer'], 'server.1',
      'invalid server.1: observers without participants'],
    ['only observers, standaloneEnabled=false', ['standaloneEnabled=false',
      'server.1=a:1:2:observer'], 'standaloneEnabled', 'the server.N lines name no participant'],
    ['one participant beside an observer', ['server.1=a:1:2', 'server.2=a:3:4:observer'],
      'server.2', 'invalid server.2: observers without a quorum'],
  ])('refuses %s', (_case, lines, key, message) => {
    const error = configErrorOf(() => resolveIn(dataDirWith('1'), lines));
    expect([error.key, error.message]).toEqual([key, expect.stringContaining(message)]);
  });

  it('allows the same ports on different hosts, and warns about an even ensemble', () => {
    const lines = ['server.1=a:2888:3888', 'server.2=b:2888:3888', 'server.3=c:2888:3888',
      'server.4=d:2888:3888'];
    const { config, messages } = resolveIn(dataDirWith('4'), lines);
    expect(config.servers.size).toBe(4);
    expect(messages).toContain('warn: 4 participants tolerate no more failures than 3');
  });

  it('keeps initLimit and syncLimit defaults (10/5) and set values for an ensemble', () => {
    expect(resolveIn(dataDirWith('1'), threeServers).config).toMatchObject({
      initLimit: 10, syncLimit: 5,
    });
    expect(resolveIn(dataDirWith('1'), ['initLimit=20', 'syncLimit=7', ...threeServers])
      .config).toMatchObject({ initLimit: 20, syncLimit: 7 });
  });
});

describe('this server\'s role', () => {
  const withObserver = [...threeServers.slice(0, 2), 'server.3=127.0.0.1:2890:3890:observer'];
  const differs = 'warn: peerType observer does not match server.1 (participant); ' +
    'using the server line, as ZooKeeper does';

  it.each([
    ['its own line says :observer', '3', [], 'observer', []],
    ['peerType=observer and :observer', '3', ['peerType=observer'], 'observer', []],
    ['another server observes', '1', [], 'participant', []],
    ['only peerType=observer', '1', ['peerType=observer'], 'participant', [differs]],
  ])('is read from the server line when %s', (_case, myId, extra, peerType, warnings) => {
    const { config, messages } = resolveIn(dataDirWith(myId), [...extra, ...withObserver]);
    expect(config.peerType).toBe(peerType);
    expect(messages.filter((message) => message.includes('peerType'))).toEqual(warnings);
  });
});

describe('isEnsemble', () => {
  const server = { id: 1, host: 'h', quorumPort: 1, electionPort: 2, peerType: 'participant' };
  it.each([
    [0, true, false],
    [1, true, false],
    [1, false, true],
    [2, true, true],
    [3, true, true],
  ] as const)('is %s servers with standaloneEnabled=%s → %s', (count, standalone, expected) => {
    const servers = new Map(Array.from({ length: count }, (_, index) => [index + 1, server]));
    const config = { servers, standaloneEnabled: standalone } as unknown as ServerConfig;
    expect(isEnsemble(config)).toBe(expected);
  });
});

describe('corral server ensemble flags', () => {
  const dataDir = dataDirWith('1\n');
  const zooCfgPath = join(dataDir, 'zoo.cfg');
  writeFileSync(zooCfgPath, [`dataDir=${dataDir}`, 'clientPort=2181', 'initLimit=9',
    ...threeServers].join('\n'));

  it('declares --myid, repeatable --server, --init-limit, --sync-limit and --peer-type', () => {
    const argv = ['--myid', '2', '--server', '1=h:1:2', '--server', '2=h:3:4', '--init-limit',
      '20', '--sync-limit', '7', '--peer-type', 'observer'];
    const command = addServerOptions(new Command('server')).exitOverride();
    expect(command.parse(argv, { from: 'user' }).opts()).toEqual({
      myid: '2', server: ['1=h:1:2', '2=h:3:4'], initLimit: '20', syncLimit: '7',
      peerType: 'observer',
    });
  });

  it('lets --myid win over the file and --init-limit over zoo.cfg', () => {
    const log = recordingLog();
    const config = buildServerConfig({ config: zooCfgPath, myid: '3', initLimit: '12' }, log);
    expect([config.myId, config.initLimit, isEnsemble(config)]).toEqual([3, 12, true]);
  });

  it('replaces every zoo.cfg server.N line with the --server flags', () => {
    const flags: ServerFlags = { config: zooCfgPath, server: [
      '1=127.0.0.1:4888:5888', '5=127.0.0.1:4889:5889:observer;127.0.0.1:2185',
      '6=127.0.0.1:4890:5890'], myid: '5', peerType: 'observer', syncLimit: '3' };
    const config = buildServerConfig({ ...flags, clientPort: '2185' }, recordingLog());
    expect([...config.servers.keys()]).toEqual([1, 5, 6]);
    expect(config).toMatchObject({ myId: 5, peerType: 'observer', syncLimit: 3,
      clientPort: 2185, clientPortAddress: '127.0.0.1' });
  });

  it('ignores --myid, with a warning, for a standalone server', () => {
    const log = recordingLog();
    const config = buildServerConfig({ clientPort: '2181', dataDir, myid: '2' }, log);
    expect(config.myId).toBeUndefined();
    expect(log.messages).toContain(
      'warn: myid 2 ignored: no server.N lines, so running standalone',
    );
  });

  it.each([
    [{ myid: 'one' }, '--myid', 'invalid --myid "one": expected a server id 1-255'],
    [{ myid: '9' }, 'myid', 'invalid myid "9" (--myid): not among server.1, server.2, server.3'],
    [{ initLimit: '0' }, '--init-limit', 'invalid --init-limit "0": expected a positive integer'],
    [{ syncLimit: 'x' }, '--sync-limit', 'invalid --sync-limit "x": expected a positive integer'],
    [{ peerType: 'witness' }, '--peer-type', 'invalid --peer-type "witness": expected partic'],
    [{ server: ['1'] }, '--server', 'invalid --server "1": expected N=host:quorumPort'],
    [{ server: ['x=h:1:2'] }, '--server', 'invalid --server "x=h:1:2": invalid server.x "x"'],
    [{ server: ['1=h:1'] }, '--server', 'invalid --server "1=h:1": invalid server.1 "h:1"'],
    [{ server: ['1=h:1:2', '1=h:3:4'] }, '--server', 'server 1 is given twice'],
  ] as Array<[ServerFlags, string, string]>)('rejects %j naming %s', (flags, key, message) => {
    const error = configErrorOf(() =>
      buildServerConfig({ config: zooCfgPath, ...flags }, recordingLog()));
    expect([error.key, error.message]).toEqual([key, expect.stringContaining(message)]);
  });
});

describe('ensembleConfigText (/zookeeper/config as QuorumMaj.toString writes it)', () => {
  const server = (id: number, extra: Partial<QuorumServerAddress> = {}): QuorumServerAddress => ({
    id,
    host: '10.0.0.' + id,
    quorumPort: 2888,
    electionPort: 3888,
    peerType: 'participant',
    ...extra,
  });
  it.each([
    ['one participant', [server(1)], 'server.1=10.0.0.1:2888:3888:participant\nversion=0'],
    [
      'members in id order, an observer, a client address',
      [
        server(3, { peerType: 'observer' }),
        server(1, { client: { host: '0.0.0.0', port: 2181 } }),
      ],
      'server.1=10.0.0.1:2888:3888:participant;0.0.0.0:2181\n' +
        'server.3=10.0.0.3:2888:3888:observer\nversion=0',
    ],
  ])('writes %s', (_case, servers, text) => {
    const byId = new Map(servers.map((entry) => [entry.id, entry]));
    expect(ensembleConfigText(byId)).toBe(text);
  });

  it('writes the version in hex', () => {
    const text = ensembleConfigText(new Map([[1, server(1)]]), 0x100000003);
    expect(text).toMatch(/version=100000003$/);
  });
});
