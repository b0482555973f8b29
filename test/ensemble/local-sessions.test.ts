// Local sessions (zoo.cfg localSessionsEnabled, localSessionsUpgradingEnabled) on a real
// 3-replica corral ensemble and on a ZooKeeper 3.8 ensemble, which must observe the same:
// sessions cost no txn until an ephemeral create upgrades them (or fails with
// EphemeralOnLocalSession when upgrading is off), and a local session is unknown elsewhere.

import { afterEach, describe, expect, it } from 'vitest';
import { TestEnsemble } from '../support/ensemble.js';
import { zookeeperAvailable } from '../support/zookeeper.js';
import { ZooKeeperEnsemble } from '../support/zookeeper-ensemble.js';
import {
  observeKazoo, observeLocalExpiry, observeLocalSessions,
} from './local-sessions-scenario.js';

const upgrading = ['localSessionsEnabled=true', 'localSessionsUpgradingEnabled=true'];
// ZooKeeper's QuorumPeerConfig leaves upgrading off unless zoo.cfg turns it on.
const notUpgrading = ['localSessionsEnabled=true'];

// Observed on ZooKeeper 3.8 (zxid figures count txns since the start of the scenario).
const common = { afterConnect: 0, persistent: 0, persistentRead: 0, afterPersistent: 1,
  reconnectLocal: 'expired', afterReconnect: 1, ephemeralAfterClose: -101,
  // mntr on the follower holding the session.
  countsOnFollower: { local: 1, global: 0 } };
// An ephemeral create (on the follower, then on the leader) costs a createSession and the
// create; each upgraded session's close costs a closeSession.
const expectedUpgrading = { ...common, ephemeral: 0, afterEphemeral: 3, ephemeralSeen: 0,
  leaderEphemeral: 0, afterLeaderEphemeral: 5, leaderEphemeralSeen: 0,
  leaderEphemeralAfterClose: -101, reconnectUpgraded: 'attached', afterClose: 7,
  countsAfterEphemeral: { local: 0, global: 1 } };
// EphemeralOnLocalSession is ordered as an error txn; local sessions close without a txn.
const expectedNotUpgrading = { ...common, ephemeral: -120, afterEphemeral: 2,
  ephemeralSeen: -101, leaderEphemeral: -120, afterLeaderEphemeral: 3, leaderEphemeralSeen: -101,
  leaderEphemeralAfterClose: -101, reconnectUpgraded: 'expired', afterClose: 3,
  countsAfterEphemeral: { local: 1, global: 0 } };

const expectedExpiry = { reconnectSameReplica: 'expired', reconnectLasting: 'attached',
  afterExpiry: 0, ephemeral: undefined, ephemeralAfterExpiry: -101 };
// Upgraded first: createSession and create, then the leader's closeSession at expiry.
const expectedUpgradedExpiry = { ...expectedExpiry, afterExpiry: 3, ephemeral: 0 };

// kazoo with upgrading on. (kazoo 2.8 knows no -120: its connection thread dies on "Invalid
// error code" and the client hangs, against ZooKeeper 3.8 as against corral, so upgrading off
// is left to the raw-client scenario.)
const expectedKazoo = { persistent: 'ok', ephemeral: 'ok', ephemeralSeen: true,
  ephemeralAfterStop: false };

let ensemble: TestEnsemble | undefined;

afterEach(async () => {
  await ensemble?.destroy();
  ensemble = undefined;
});

describe('local sessions (real processes, R=3)', { timeout: 120_000 }, () => {
  it.each([
    ['upgrading', upgrading, expectedUpgrading],
    ['not upgrading', notUpgrading, expectedNotUpgrading],
  ])('corral, %s', async (_name, extraConfig, expected) => {
    ensemble = await TestEnsemble.create({ voters: 3, extraConfig });
    ensemble.startAll();
    expect(await observeLocalSessions(ensemble, '/local')).toEqual(expected);
  });

  it.each([
    ['without a txn', notUpgrading, false, expectedExpiry],
    ['upgraded, by the leader', upgrading, true, expectedUpgradedExpiry],
  ])('corral, a local session expires %s', async (_name, extraConfig, upgradeFirst, expected) => {
    ensemble = await TestEnsemble.create({ voters: 3, extraConfig });
    ensemble.startAll();
    expect(await observeLocalExpiry(ensemble, upgradeFirst)).toEqual(expected);
  });

  it.skipIf(!zookeeperAvailable()).each([
    ['upgrading', upgrading, expectedUpgrading],
    ['not upgrading', notUpgrading, expectedNotUpgrading],
  ])('ZooKeeper 3.8, %s', async (_name, extraConfig, expected) => {
    const zookeeper = await ZooKeeperEnsemble.create({ voters: 3,
      extraConfig: ['4lw.commands.whitelist=*', ...extraConfig] });
    try {
      zookeeper.startAll();
      expect(await observeLocalSessions(zookeeper, '/local')).toEqual(expected);
    } finally {
      await zookeeper.destroy();
    }
  });

  it.skipIf(!zookeeperAvailable()).each([
    ['without a txn', notUpgrading, false, expectedExpiry],
    ['upgraded, by the leader', upgrading, true, expectedUpgradedExpiry],
  ])('ZooKeeper 3.8, a local session expires %s', async (_name, extraConfig, upgradeFirst,
    expected) => {
    const zookeeper = await ZooKeeperEnsemble.create({ voters: 3,
      extraConfig: ['4lw.commands.whitelist=*', ...extraConfig] });
    try {
      zookeeper.startAll();
      expect(await observeLocalExpiry(zookeeper, upgradeFirst)).toEqual(expected);
    } finally {
      await zookeeper.destroy();
    }
  });

  it('kazoo on corral, upgrading', async () => {
    ensemble = await TestEnsemble.create({ voters: 3, extraConfig: upgrading });
    ensemble.startAll();
    expect(await observeKazoo(ensemble)).toEqual(expectedKazoo);
  });

  it.skipIf(!zookeeperAvailable())('kazoo on ZooKeeper 3.8, upgrading', async () => {
    const zookeeper = await ZooKeeperEnsemble.create({ voters: 3,
      extraConfig: ['4lw.commands.whitelist=*', ...upgrading] });
    try {
      zookeeper.startAll();
      expect(await observeKazoo(zookeeper)).toEqual(expectedKazoo);
    } finally {
      await zookeeper.destroy();
    }
  });
});
