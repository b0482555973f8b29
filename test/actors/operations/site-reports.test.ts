// A server's site in the four-letter words, against the ZooKeeper 3.8 captures the other report
// tests use: with a site, srvr and stat gain one last `Site:` line, mntr one last zk_site value
// and conf the site.N lines before `version=`; everything else stays ZooKeeper's byte for byte.
import { describe, expect, it } from 'vitest';
import { parseZooCfg, resolveConfig } from '../../../actors/config/config.js';
import {
  answerFourLetterWord,
  type FourLetterSource,
} from '../../../actors/operations/four-letter-words.js';
import { ensembleZooCfg, leader, zooKeeperVersion } from './four-letter-word-fixtures.js';

const quiet = { info: () => {}, warn: () => {} };
const all = ['*'];

/** The leader of the ensemble capture (server 3), its zoo.cfg plus `siteLines`. */
function leaderSource(siteLines: readonly string[], fields: Partial<FourLetterSource> = {}):
  FourLetterSource {
  const text = [ensembleZooCfg, ...siteLines].join('\n');
  const config = { ...resolveConfig(parseZooCfg(text, 'zoo.cfg').config, { log: quiet }),
    myId: 3 };
  return {
    version: zooKeeperVersion, serving: true, readOnly: false, role: 'leader',
    zabPhase: 'broadcast', serverId: 3, leaderId: 3, zxid: 0x100000000n, nodeCount: 5,
    approximateDataSizeBytes: 0, packetsReceived: 2, packetsSent: 1, outstandingRequests: 0,
    latency: { minMs: 0, avgMs: 0, maxMs: 0 }, authFailedCount: 0, nonMtlsLocalConnections: 0,
    nonMtlsRemoteConnections: 0, nettyConnectionLayer: false,
    clientResponseSizes: { lastBytes: -1, minBytes: -1, maxBytes: -1 },
    connections: [{ remoteAddress: '127.0.0.1', remotePort: 40000, interestOps: 0,
      outstandingRequests: 0, packetsReceived: 1, packetsSent: 0, session: undefined,
      expiresAtMs: 0 }],
    dataWatches: [], dataWatchesBySession: new Map(), watchCount: 0, sessions: [],
    localSessionCount: 0,
    dataDirSizeBytes: 613, dataLogDirSizeBytes: 613, startedAtMs: 0, nowMs: 0, config,
    environment: [], quorumSize: 3, membershipVersion: 0n,
    leader: { learnerCount: 2, syncedFollowerCount: 2, syncedNonVotingFollowerCount: 0,
      syncedObserverCount: 0, pendingSyncCount: 0, leadingSinceMs: 131,
      proposalSizes: { lastBytes: -1, minBytes: -1, maxBytes: -1 }, proposalCount: 0 },
    openFileDescriptorCount: undefined, maxFileDescriptorCount: undefined,
    resetConnectionStatistics: () => {}, resetServerStatistics: () => {},
    traceMask: 306n, setTraceMask: () => {}, digestLog: [], digestMismatches: 0,
    ...fields,
  };
}

const sites = ['site.1=eu-west', 'site.2=eu-west', 'site.3=us-east'];

describe('four-letter words with sites', () => {
  it('srvr is ZooKeeper\'s, then one Site line; without a site it is ZooKeeper\'s alone', () => {
    expect(answerFourLetterWord('srvr', leaderSource(sites), all))
      .toBe(`${leader.srvr}Site: us-east\n`);
    expect(answerFourLetterWord('srvr', leaderSource([]), all)).toBe(leader.srvr);
    // Server 3 is in no site when only the others name one.
    expect(answerFourLetterWord('srvr', leaderSource(sites.slice(0, 2)), all))
      .toBe(leader.srvr);
  });

  it('mntr ends with zk_site, after every ZooKeeper key', () => {
    const plain = answerFourLetterWord('mntr', leaderSource([]), all);
    expect(plain).not.toContain('zk_site');
    expect(answerFourLetterWord('mntr', leaderSource(sites), all))
      .toBe(`${plain}zk_site\tus-east\n`);
  });

  it('conf lists every site.N line after the server lines, before version=', () => {
    expect(answerFourLetterWord('conf', leaderSource(sites), all))
      .toBe(leader.conf.replace(/version=0$/, `${sites.join('\n')}\nversion=0`));
  });
});
