// `corral ensemble --spares/--reconfig/--super-password`: the plan and its refusals, the zoo.cfg
// of a member and of a spare, the super digest (checked against ZooKeeper's
// DigestAuthenticationProvider), the stored password, the banner's grow and shrink lines, and
// which zoo.cfg files a restart keeps after a reconfig rewrote them.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../actors/config/config.js';
import {
  keptLines,
  keptMemberships,
  startingConfigs,
  withSuperDigest,
} from '../../cli/ensemble-kept.js';
import {
  connectString,
  planEnsemble,
  replicaLayouts,
  replicaZooCfg,
  type EnsembleFlags,
} from '../../cli/ensemble-layout.js';
import {
  checkSuperPassword,
  reconfigGuide,
  resolveSuperPassword,
  superDigestOf,
} from '../../cli/ensemble-reconfig.js';

const plan = (flags: EnsembleFlags) =>
  planEnsemble({ size: '3', basePort: '2181', dataDir: '/d', ...flags }, '/work');
const grown = plan({ spares: '2' });
const digest = 'super:LVxiMPaAxLDvqJJmnC2tINqpoZU=';

function replica(ensemble: ReturnType<typeof plan>, id: number) {
  const found = replicaLayouts(ensemble).find((each) => each.id === id);
  if (found === undefined) throw new Error(`no replica ${id}`);
  return found;
}

function refusal(run: () => unknown): [string | undefined, string] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return [error.key, error.message];
    throw error;
  }
  return [undefined, 'not refused'];
}

describe('ensemble plan with spares', () => {
  it.each([
    [{}, 0, false],
    [{ reconfig: true }, 0, true],
    [{ spares: '2' }, 2, true],
    [{ spares: '0', reconfig: true, superPassword: 'pw' }, 0, true],
  ] as Array<[EnsembleFlags, number, boolean]>)('plans %j with %d spares, reconfig %s',
    (flags, spares, reconfig) => {
      expect(plan(flags)).toMatchObject({ spares, reconfig });
    });

  it('gives spares the next ids and ports, as participants outside the membership', () => {
    const layouts = replicaLayouts(plan({ size: '3', observers: '1', spares: '2' }));
    expect(layouts.map(({ id, clientPort, quorumPort, electionPort, peerType, spare }) =>
      [id, clientPort, quorumPort, electionPort, peerType, spare])).toEqual([
      [1, 2181, 3181, 4181, 'participant', false],
      [2, 2182, 3182, 4182, 'participant', false],
      [3, 2183, 3183, 4183, 'observer', false],
      [4, 2184, 3184, 4184, 'participant', true],
      [5, 2185, 3185, 4185, 'participant', true],
    ]);
    expect(connectString(grown)).toBe('127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183');
  });

  it.each([
    [{ spares: '-1' }, '--spares', 'expected a non-negative integer'],
    [{ spares: 'x' }, '--spares', 'invalid --spares "x"'],
    [{ size: '250', spares: '6' }, '--spares', '--size 250 plus 6 spares pass 255 replicas'],
    [{ electionBasePort: '65532', spares: '2' }, '--election-base-port',
      'election ports 65532-65536 (--election-base-port) pass 65535'],
    [{ basePort: '65532', spares: '2' }, '--base-port', 'client ports 65532-65536 (--base-port) ' +
      'pass 65535'],
    [{ quorumBasePort: '2185', spares: '2' }, '--quorum-base-port', 'quorum ports 2185-2189 ' +
      '(--quorum-base-port) overlap the client ports 2181-2185'],
    [{ superPassword: 'pw' }, '--super-password', 'add --reconfig or --spares <count>'],
  ] as Array<[EnsembleFlags, string, string]>)('refuses %j naming %s', (flags, key, message) => {
    const [refusedKey, text] = refusal(() => plan(flags));
    expect([refusedKey, text]).toEqual([key, expect.stringContaining(message)]);
  });

  it('counts spares in the port limit only when they pass it', () => {
    expect(refusal(() => plan({ electionBasePort: '65531', spares: '2' }))[1])
      .toBe('not refused');
  });
});

describe('replica zoo.cfg with reconfig', () => {
  const common = (name: string, note: string) => [
    `# Written by corral ensemble for ${name} of 3${note}; rewritten on every start until a ` +
      'reconfig names its dynamicConfigFile.',
    'tickTime=2000', 'initLimit=10', 'syncLimit=5', `dataDir=/d/${name}`,
    '4lw.commands.whitelist=*', 'admin.enableServer=true', 'admin.serverAddress=127.0.0.1',
    `admin.serverPort=${5180 + Number(name.slice('replica-'.length))}`, 'reconfigEnabled=true',
    'standaloneEnabled=false', `DigestAuthenticationProvider.superDigest=${digest}`,
    'server.1=127.0.0.1:3181:4181:participant;127.0.0.1:2181',
    'server.2=127.0.0.1:3182:4182:participant;127.0.0.1:2182',
    'server.3=127.0.0.1:3183:4183:participant;127.0.0.1:2183',
  ];

  it.each([
    [2, common('replica-2', '')],
    [4, [...common('replica-4', ' (a spare, ready for reconfig -add)'),
      'server.4=127.0.0.1:3184:4184:participant;127.0.0.1:2184']],
    [5, [...common('replica-5', ' (a spare, ready for reconfig -add)'),
      'server.5=127.0.0.1:3185:4185:participant;127.0.0.1:2185']],
  ])('writes replica %d: client address on the server lines, a spare names itself too',
    (id, lines) => {
      expect(replicaZooCfg(grown, replica(grown, id), { superDigest: digest }))
        .toBe(`${lines.join('\n')}\n`);
    });

  it('names an observer by its server line, and an IPv6 client address in brackets', () => {
    const observed = plan({ observers: '1', reconfig: true, clientPortAddress: '::1' });
    const text = replicaZooCfg(observed, replica(observed, 3), { superDigest: digest });
    expect(text).toContain('server.3=127.0.0.1:3183:4183:observer;[::1]:2183\n');
    expect(text).not.toContain('peerType');
    expect(text).not.toContain('clientPort');
  });

  it('needs the super digest', () => {
    expect(() => replicaZooCfg(grown, replica(grown, 1))).toThrow(/super digest/);
  });
});

describe('super user', () => {
  it.each([
    ['boss', 'super:LVxiMPaAxLDvqJJmnC2tINqpoZU='],
    ['hunter2', 'super:V1o6/gHR24bI2f+NOZanWPgr+eg='],
  ])('digests %s as ZooKeeper does: %s', (password, expected) => {
    expect(superDigestOf(password)).toBe(expected);
  });

  it.each([['a b'], [''], ['tab\there'], ['x'.repeat(257)]])('refuses password %j', (bad) => {
    expect(refusal(() => checkSuperPassword(bad, 'test', '--super-password'))[0])
      .toBe('--super-password');
  });

  const directories: string[] = [];
  afterEach(() => {
    for (const directory of directories.splice(0)) {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it('generates a password once per data dir (0600) and reuses it; the flag wins', () => {
    const directory = mkdtempSync(join(tmpdir(), 'corral-super-'));
    directories.push(directory);
    const dataDir = join(directory, 'data');
    const generated = resolveSuperPassword(undefined, dataDir);
    const path = join(dataDir, 'super-password');
    expect(generated).toMatchObject({ origin: 'generated', path });
    expect(generated.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toBe(`${generated.password}\n`);
    expect(resolveSuperPassword(undefined, dataDir))
      .toEqual({ ...generated, origin: 'stored' });
    expect(resolveSuperPassword('boss', dataDir))
      .toMatchObject({ password: 'boss', origin: 'flag' });
    writeFileSync(path, 'two words\n');
    expect(refusal(() => resolveSuperPassword(undefined, dataDir))[1]).toContain(path);
  });
});

describe('grow and shrink lines', () => {
  const add = 'reconfig -add server.4=127.0.0.1:3184:4184:participant;127.0.0.1:2184,' +
    'server.5=127.0.0.1:3185:4185:participant;127.0.0.1:2185';
  it.each([
    ['spares outside', grown, [1, 2, 3], [`  ${add}`, '  reconfig -remove 4,5']],
    ['spares added', grown, [1, 2, 3, 4, 5], ['  reconfig -remove 4,5']],
    ['replica 1 removed', grown, [2, 3, 4, 5],
      ['  reconfig -add server.1=127.0.0.1:3181:4181:participant;127.0.0.1:2181',
        '  reconfig -remove 4,5']],
    ['no spares', plan({ reconfig: true }), [1, 2, 3],
      ['  (start with --spares <count> for replicas ready for reconfig -add)']],
  ])('with %s', (_case, ensemble, members, expected) => {
    expect(reconfigGuide(ensemble, 'boss', members)).toEqual([
      'grow with reconfig -add, shrink back with reconfig -remove, as the super user:',
      '  zkCli.sh -server 127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183',
      '  addauth digest super:boss',
      ...expected,
    ]);
  });
});

describe('a restart after reconfig', () => {
  const directories: string[] = [];
  afterEach(() => {
    for (const directory of directories.splice(0)) {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  /** The files a reconfig leaves: zoo.cfg naming a dynamic file that lists `members`. */
  function reconfigured(dataDir: string, id: number, members: number[], version: string) {
    const replicaDir = join(dataDir, `replica-${id}`);
    mkdirSync(replicaDir, { recursive: true });
    const dynamic = join(replicaDir, `zoo.cfg.dynamic.${version}`);
    writeFileSync(dynamic, members.map((member) =>
      `server.${member}=127.0.0.1:${3180 + member}:${4180 + member}:participant;` +
      `127.0.0.1:${2180 + member}`).join('\n'));
    writeFileSync(join(replicaDir, 'zoo.cfg'), `tickTime=2000\ndataDir=${replicaDir}\n` +
      `reconfigEnabled=true\ndynamicConfigFile=${dynamic}\n`);
  }

  it('writes every zoo.cfg when none names a dynamic file', () => {
    const starting = startingConfigs(grown, replicaLayouts(grown), new Map(), digest);
    expect([starting.kept, starting.leftOut, starting.written.length]).toEqual([[], [], 5]);
    expect(keptLines(starting)).toEqual([]);
  });

  it('keeps the members\' zoo.cfg and starts the removed again as spares of the newest', () => {
    const directory = mkdtempSync(join(tmpdir(), 'corral-kept-'));
    directories.push(directory);
    const ensemble = plan({ spares: '2', dataDir: directory });
    for (const id of [1, 2, 3]) reconfigured(directory, id, [1, 2, 3], '100000005');
    reconfigured(directory, 4, [1, 2, 3], '100000005');
    reconfigured(directory, 5, [1, 2, 3, 4, 5], '100000002'); // missed the removal
    const found = keptMemberships(replicaLayouts(ensemble));
    expect(found.get(4)).toMatchObject({ ids: [1, 2, 3], version: 0x100000005n });
    const starting = startingConfigs(ensemble, replicaLayouts(ensemble), found, digest);
    expect(starting.kept.map((each) => each.id)).toEqual([1, 2, 3, 5]);
    expect(starting.leftOut.map((each) => each.id)).toEqual([4]);
    expect(starting.written.map(({ replica: each }) => each.id)).toEqual([4]);
    expect(starting.written[0]?.zooCfg.split('\n').filter((line) => line.startsWith('server.')))
      .toEqual([1, 2, 3, 4].map((id) => `server.${id}=127.0.0.1:${3180 + id}:${4180 + id}:` +
        `participant;127.0.0.1:${2180 + id}`));
    expect(keptLines(starting)).toEqual([
      '[ensemble] keeping the zoo.cfg of replica-1, replica-2, replica-3, replica-5: each names ' +
        'the membership a reconfig committed (dynamicConfigFile); the newest: ' +
        'servers 1,2,3 (version 100000005)',
      '[ensemble] replica-4 left out of that membership by a reconfig: started as spares of ' +
        'servers 1,2,3 (version 100000005), ready for reconfig -add',
    ]);
  });

  it.each([
    ['tickTime=200\nDigestAuthenticationProvider.superDigest=super:old\ndynamicConfigFile=/d\n',
      'tickTime=200\nDigestAuthenticationProvider.superDigest=super:new\ndynamicConfigFile=/d\n'],
    ['tickTime=200\ndynamicConfigFile=/d', 'tickTime=200\ndynamicConfigFile=/d\n' +
      'DigestAuthenticationProvider.superDigest=super:new\n'],
  ])('puts a new super digest into kept zoo.cfg %j', (text, expected) => {
    expect(withSuperDigest(text, 'super:new')).toBe(expected);
  });

  it('refuses, naming the replica, a zoo.cfg whose dynamic file is gone', () => {
    const directory = mkdtempSync(join(tmpdir(), 'corral-kept-'));
    directories.push(directory);
    const ensemble = plan({ spares: '2', dataDir: directory });
    reconfigured(directory, 2, [1, 2, 3], '100000005');
    rmSync(join(directory, 'replica-2', 'zoo.cfg.dynamic.100000005'));
    expect(refusal(() => keptMemberships(replicaLayouts(ensemble)))[1])
      .toMatch(/^replica-2 cannot keep its zoo\.cfg: /);
  });
});
