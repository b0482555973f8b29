// Four-letter words against replies captured from a real Apache ZooKeeper 3.8: each test rebuilds
// the server state ZooKeeper had (ports, session ids, counters, times) as a FourLetterSource and
// expects corral's reply to equal ZooKeeper's byte for byte.
import { describe, expect, it } from 'vitest';
import { parseZooCfg, resolveConfig, type ServerConfig } from '../../../actors/config/config.js';
import {
  answerFourLetterWord,
  collectEnvironment,
  isFourLetterWord,
  knownFourLetterWords,
  notServingMessage,
  type ConnectionStatistics,
  type FourLetterSource,
  type SessionSummary,
} from '../../../actors/operations/four-letter-words.js';
import {
  defaultWhitelist,
  ensembleZooCfg,
  follower,
  leader,
  standalone,
  zooKeeperVersion,
} from './four-letter-word-fixtures.js';

const quiet = { info: () => {}, warn: () => {} };
const all = ['*'];

function config(text: string): ServerConfig {
  return resolveConfig(parseZooCfg(text, 'zoo.cfg').config, { log: quiet });
}

/** Seconds on 2026-11-23 18:45, the minute the ZooKeeper replies were captured. */
const at = (seconds: number): number => Date.UTC(2026, 10, 23, 18, 45, seconds);

function connection(
  port: number,
  fields: Partial<ConnectionStatistics> = {},
): ConnectionStatistics {
  return {
    remoteAddress: '127.0.0.1', remotePort: port, interestOps: 0, outstandingRequests: 0,
    packetsReceived: 1, packetsSent: 0, session: undefined, expiresAtMs: at(20), ...fields,
  };
}

/** A client connection that sent 7 requests, ending with exists (EXIS), as the captures had. */
function sessionConnection(port: number, sessionId: bigint, fields: {
  establishedAtMs: number; lastZxid: bigint; lastResponseAtMs: number; lastLatencyMs: number;
  latency: { minMs: number; avgMs: number; maxMs: number }; expiresAtMs?: number;
}): ConnectionStatistics {
  const { expiresAtMs, ...session } = fields;
  return connection(port, {
    interestOps: 1, packetsReceived: 7, packetsSent: 7, expiresAtMs: expiresAtMs ?? at(40),
    session: { sessionId, lastOperation: 'EXIS', timeoutMs: 30000, lastCxid: 5, ...session },
  });
}

function session(sessionId: bigint, expiresAtMs: number, ephemeralPaths: string[] = []):
  SessionSummary {
  return { sessionId, timeoutMs: 30000, expiresAtMs, ephemeralPaths };
}

const first = 0x10000051ed10001n;
const second = 0x10000051ed10002n;
const ensembleSession = 0x100000603320000n;

/** The captures stop at zk_proposal_count; ZooKeeper's counters follow, digest's among them. */
function withDigestCount(mntr: string, count = 0): string {
  return `${mntr}zk_digest_mismatches_count\t${count}\n`;
}

function source(fields: Partial<FourLetterSource> = {}): FourLetterSource {
  return {
    version: zooKeeperVersion, serving: true, readOnly: false, role: 'standalone',
    zabPhase: undefined, serverId: 0, leaderId: undefined, zxid: 0n, nodeCount: 5,
    approximateDataSizeBytes: 0,
    packetsReceived: 1, packetsSent: 0, outstandingRequests: 0,
    latency: { minMs: 0, avgMs: 0, maxMs: 0 }, authFailedCount: 0, nonMtlsLocalConnections: 0,
    nonMtlsRemoteConnections: 0, nettyConnectionLayer: false,
    clientResponseSizes: { lastBytes: -1, minBytes: -1, maxBytes: -1 },
    connections: [connection(40000)], dataWatches: [], dataWatchesBySession: new Map(),
    watchCount: 0, sessions: [],
    localSessionCount: 0,
    dataDirSizeBytes: 0, dataLogDirSizeBytes: 0, startedAtMs: 0, nowMs: 0,
    config: config('clientPort=23141\ndataDir=/d\nmaxClientCnxns=0'), environment: [],
    quorumSize: undefined, membershipVersion: 0n, leader: undefined,
    openFileDescriptorCount: undefined, maxFileDescriptorCount: undefined,
    resetConnectionStatistics: () => {}, resetServerStatistics: () => {},
    traceMask: 306n, setTraceMask: () => {}, digestLog: [], digestMismatches: 0,
    ...fields,
  };
}

/** The two sessions of the standalone capture: the first owns /app/eph and /app/eph2. */
const standaloneState = {
  zxid: 0xdn, nodeCount: 8, latency: { minMs: 0, avgMs: 13 / 10, maxMs: 6 },
  sessions: [session(second, at(38)), session(first, at(38), ['/app/eph2', '/app/eph'])],
  dataWatches: [
    { path: '/app/eph', sessionIds: [first, second] },
    { path: '/app', sessionIds: [first, second] },
  ],
  // Set in the other order: wchc lists each session's paths in its hash set's order.
  dataWatchesBySession: new Map([[first, ['/app', '/app/eph']], [second, ['/app', '/app/eph']]]),
};

const standaloneConnections = [
  sessionConnection(48048, first, {
    establishedAtMs: 1795459506883, lastZxid: 0x9n, lastResponseAtMs: 416076, lastLatencyMs: 0,
    latency: { minMs: 0, avgMs: 2.4, maxMs: 6 },
  }),
  sessionConnection(48060, second, {
    establishedAtMs: 1795459506951, lastZxid: 0xdn, lastResponseAtMs: 416131, lastLatencyMs: 1,
    latency: { minMs: 0, avgMs: 0.5, maxMs: 1 },
  }),
];

/**
 * ZooKeeper's expiry queues keep emptied buckets ("0 expire at ...") until their time passes;
 * corral lists only buckets that hold something, so those lines and their count are dropped.
 */
function withoutEmptyBuckets(text: string): string {
  const kept: string[] = [];
  let header = -1;
  for (const line of text.split('\n')) {
    if (/Sets \(\d+\)\/\(\d+\):$/.test(line)) header = kept.length;
    if (!line.startsWith('0 expire at ')) {
      kept.push(line);
      continue;
    }
    kept[header] = (kept[header] ?? '').replace(/\((\d+)\)\//, (_match, count: string) =>
      `(${Number(count) - 1})/`);
  }
  return kept.join('\n');
}

describe('four-letter words on a standalone server (ZooKeeper 3.8 captures)', () => {
  it.each([
    ['ruok', standalone.ruok],
    ['isro', standalone.isro],
    ['crst', standalone.crst],
    ['srst', standalone.srst],
  ])('answers %s as ZooKeeper does', (word, expected) => {
    expect(answerFourLetterWord(word, source(), all)).toBe(expected);
  });

  it('answers srvr with the version, latency, counters, zxid, mode and node count', () => {
    const state = source({
      ...standaloneState, packetsReceived: 27, packetsSent: 27,
      connections: [...standaloneConnections, connection(48074)],
    });
    expect(answerFourLetterWord('srvr', state, all)).toBe(standalone.srvr);
  });

  it('answers stat with the brief client list before the srvr lines', () => {
    const state = source({
      ...standaloneState, packetsReceived: 28, packetsSent: 28,
      connections: [...standaloneConnections, connection(48074)],
    });
    expect(answerFourLetterWord('stat', state, all)).toBe(standalone.stat);
  });

  it('answers cons with each connection in full, sessionless ones brief', () => {
    const state = source({ connections: [...standaloneConnections, connection(48082)] });
    expect(answerFourLetterWord('cons', state, all)).toBe(standalone.cons);
  });

  it('leaves lcxid out and prints lzxid -1 as ZooKeeper does after crst', () => {
    const reset = sessionConnection(40966, 0x10000051ed10000n, {
      establishedAtMs: 1795459435510, lastZxid: -1n, lastResponseAtMs: 0, lastLatencyMs: 0,
      latency: { minMs: 0, avgMs: 0, maxMs: 0 },
    });
    const cleared = {
      ...reset, packetsReceived: 0, packetsSent: 0,
      session: reset.session && { ...reset.session, lastCxid: -1, lastOperation: 'NA' },
    };
    const state = source({ connections: [connection(41156), cleared] });
    expect(answerFourLetterWord('cons', state, all)).toBe(standalone.consAfterReset);
  });

  it.each([
    ['wchs', standalone.wchs],
    ['wchc', standalone.wchc],
    ['wchp', standalone.wchp],
  ])('answers %s from the data watches', (word, expected) => {
    expect(answerFourLetterWord(word, source(standaloneState), all)).toBe(expected);
  });

  it('answers dump with session buckets, ephemerals and connection buckets', () => {
    const state = source({
      ...standaloneState,
      connections: [
        connection(48132, { expiresAtMs: at(20) }),
        ...standaloneConnections,
      ],
    });
    expect(answerFourLetterWord('dump', state, all)).toBe(withoutEmptyBuckets(standalone.dump));
  });

  it('answers conf and dirs with the configuration and directory sizes', () => {
    const state = source({
      config: config('clientPort=23141\ndataDir=/tmp/zk4lw.qgKb/data/version-2\nmaxClientCnxns=0'),
      dataDirSizeBytes: 67109337, dataLogDirSizeBytes: 67109337,
    });
    expect(answerFourLetterWord('conf', state, all)).toBe(standalone.conf);
    expect(answerFourLetterWord('dirs', state, all)).toBe(standalone.dirs);
  });

  it("answers mntr with ZooKeeper's basic zk_* values in its order", () => {
    const state = source({
      ...standaloneState, connections: [...standaloneConnections, connection(48090)],
      packetsReceived: 38, packetsSent: 38, watchCount: 6, approximateDataSizeBytes: 72,
      clientResponseSizes: { lastBytes: 84, minBytes: 16, maxBytes: 103 },
      maxFileDescriptorCount: 20000, openFileDescriptorCount: 43, startedAtMs: 1000,
      nowMs: 1000 + 84655,
    });
    expect(answerFourLetterWord('mntr', state, all)).toBe(withDigestCount(standalone.mntr));
  });

  it("answers envi with ZooKeeper's layout and its shared keys in its order", () => {
    const reply = answerFourLetterWord('envi', source({ environment: collectEnvironment() }), all);
    const lines = reply.split('\n');
    expect(lines[0]).toBe('Environment:');
    expect(lines[1]).toBe(`zookeeper.version=${zooKeeperVersion}`);
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(1, -1).every((line) => /^[a-z.]+=.*$/.test(line))).toBe(true);
    const keysOf = (text: string): string[] =>
      text.split('\n').slice(1, -1).map((line) => line.slice(0, line.indexOf('=')));
    const ours = keysOf(reply);
    const shared = keysOf(standalone.envi).filter((key) => ours.includes(key));
    expect(shared).toEqual(ours.filter((key) => shared.includes(key)));
    expect(shared).toContain('os.memory.max');
  });

  it('resets connection and server statistics on crst and srst', () => {
    const calls: string[] = [];
    const state = source({
      resetConnectionStatistics: () => calls.push('connections'),
      resetServerStatistics: () => calls.push('server'),
    });
    answerFourLetterWord('crst', state, all);
    answerFourLetterWord('srst', state, all);
    expect(calls).toEqual(['connections', 'server']);
  });
});

describe('four-letter words in an ensemble (ZooKeeper 3.8 captures)', () => {
  const ensembleConfig = config(ensembleZooCfg);
  const ephemerals = ['/app/eph2', '/app/eph'];
  const leaderState = {
    role: 'leader' as const, zabPhase: 'broadcast' as const, serverId: 3, quorumSize: 3,
    config: ensembleConfig,
    leader: {
      learnerCount: 2, syncedFollowerCount: 2, syncedNonVotingFollowerCount: 0,
      syncedObserverCount: 0, pendingSyncCount: 0, leadingSinceMs: 131,
      proposalSizes: { lastBytes: -1, minBytes: -1, maxBytes: -1 }, proposalCount: 0,
    },
  };

  it('adds the proposal sizes line to srvr and stat on the leader', () => {
    const fresh = source({
      ...leaderState, zxid: 0x100000000n, packetsReceived: 2, packetsSent: 1,
    });
    expect(answerFourLetterWord('srvr', fresh, all)).toBe(leader.srvr);
    const busy = source({
      ...leaderState, zxid: 0x100000004n, nodeCount: 8, packetsReceived: 9, packetsSent: 10,
      connections: [connection(46846)],
      leader: {
        ...leaderState.leader,
        proposalSizes: { lastBytes: 94, minBytes: 48, maxBytes: 94 },
      },
    });
    expect(answerFourLetterWord('stat', busy, all)).toBe(leader.stat);
  });

  it('answers conf with the ensemble lines and membership, ending without a newline', () => {
    const state = source({ ...leaderState, dataDirSizeBytes: 613, dataLogDirSizeBytes: 613 });
    expect(answerFourLetterWord('conf', state, all)).toBe(leader.conf);
  });

  it("answers mntr with the leader's and the follower's extra values in place", () => {
    const common = {
      zabPhase: 'broadcast' as const, quorumSize: 3, packetsReceived: 5, packetsSent: 4,
      approximateDataSizeBytes: 198, maxFileDescriptorCount: 20000, config: ensembleConfig,
    };
    const leading = source({
      ...leaderState, ...common, openFileDescriptorCount: 46, nowMs: 13061,
      leader: { ...leaderState.leader, leadingSinceMs: 13061 - 12930 },
    });
    expect(answerFourLetterWord('mntr', leading, all)).toBe(withDigestCount(leader.mntr));
    const following = source({
      ...common, role: 'follower', serverId: 1, openFileDescriptorCount: 44, nowMs: 12453,
    });
    expect(answerFourLetterWord('mntr', following, all)).toBe(withDigestCount(follower.mntr));
  });

  it('answers dump on the leader with session buckets, on a follower with global sessions', () => {
    const leading = source({
      ...leaderState, sessions: [session(ensembleSession, at(32), ephemerals)],
      connections: [connection(46834)],
    });
    expect(answerFourLetterWord('dump', leading, all)).toBe(withoutEmptyBuckets(leader.dump));
    const sessionConnectionOnFollower = sessionConnection(53126, ensembleSession, {
      establishedAtMs: 1795459500272, lastZxid: 0x100000004n, lastResponseAtMs: 409497,
      lastLatencyMs: 1, latency: { minMs: 0, avgMs: 6.2857, maxMs: 18 }, expiresAtMs: at(30),
    });
    const following = source({
      role: 'follower', zxid: 0x100000004n,
      sessions: [session(ensembleSession, at(32), ephemerals)],
      connections: [connection(34212), sessionConnectionOnFollower],
    });
    expect(answerFourLetterWord('dump', following, all)).toBe(withoutEmptyBuckets(follower.dump));
    const consState = source({
      role: 'follower', connections: [sessionConnectionOnFollower, connection(34216)],
    });
    expect(answerFourLetterWord('cons', consState, all)).toBe(follower.cons);
  });

  it('answers srvr on a follower', () => {
    const state = source({ role: 'follower', packetsReceived: 2, packetsSent: 1 });
    expect(answerFourLetterWord('srvr', state, all)).toBe(follower.srvr);
  });
});

describe('four-letter word whitelist and recognition', () => {
  const defaults = config('clientPort=2181\ndataDir=/d').fourLetterWordWhitelist;

  it.each(Object.entries(defaultWhitelist))(
    'answers %s as ZooKeeper does with the default whitelist',
    (word, expected) => {
      expect(answerFourLetterWord(word, source(), defaults)).toBe(expected);
    },
  );

  it.each([
    [['ruok'], 'ruok', 'imok'],
    [['ruok'], 'srvr', 'Zookeeper version: '],
    [['mntr', 'conf'], 'ruok', 'ruok is not executed because it is not in the whitelist.\n'],
    [['*'], 'isro', 'rw'],
  ])('with whitelist %j answers %s starting %j', (whitelist, word, start) => {
    expect(answerFourLetterWord(word, source(), whitelist).startsWith(start)).toBe(true);
  });

  it.each(['srvr', 'stat', 'cons', 'crst', 'srst', 'dirs', 'dump', 'conf', 'mntr', 'wchs'])(
    'answers %s with ZooKeeper\'s not-serving line while no pipeline runs',
    (word) => {
      const reply = answerFourLetterWord(word, source({ serving: false }), all);
      expect(reply).toBe(`${notServingMessage}\n`);
    },
  );

  it('answers ruok and envi while not serving, and isro with null', () => {
    const state = source({ serving: false });
    expect(answerFourLetterWord('ruok', state, all)).toBe('imok');
    expect(answerFourLetterWord('envi', state, all)).toMatch(/^Environment:\n/);
    expect(answerFourLetterWord('isro', state, all)).toBe('null');
    expect(answerFourLetterWord('isro', source({ readOnly: true }), all)).toBe('ro');
  });

  it('reports a read-only replica as ZooKeeper does', () => {
    const reply = answerFourLetterWord('srvr', source({ readOnly: true }), all);
    expect(reply.split('\n')[1]).toBe('READ-ONLY mode; serving only read-only clients');
    expect(reply).toContain('\nMode: read-only\n');
  });

  it.each(knownFourLetterWords.map((word) => [word]))('recognises %s from 4 bytes', (word) => {
    expect(isFourLetterWord(Buffer.from(word, 'latin1'))).toBe(word);
  });

  it.each([
    ['a length prefix', Buffer.from([0, 0, 0, 45])],
    ['an unknown word', Buffer.from('abcd')],
    ['telnet close', Buffer.from([0xff, 0xf4, 0xff, 0xfd])],
    ['3 bytes', Buffer.from('ruo')],
    ['an upper-case word', Buffer.from('RUOK')],
  ])('does not take %s for a word', (_name, bytes) => {
    expect(isFourLetterWord(bytes)).toBeUndefined();
  });

  it('prints IPv4-mapped and IPv6 peers as Java does', () => {
    const state = source({
      connections: [
        connection(1, { remoteAddress: '::ffff:127.0.0.1' }),
        connection(2, { remoteAddress: '::1' }),
      ],
    });
    expect(answerFourLetterWord('cons', state, all)).toBe(
      ' /127.0.0.1:1[0](queued=0,recved=1,sent=0)\n' +
        ' /0:0:0:0:0:0:0:1:2[0](queued=0,recved=1,sent=0)\n\n',
    );
  });
});
