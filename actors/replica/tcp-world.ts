// Production's world for the one replica host: peers over TCP (transport/tcp-peer.ts) on the
// quorum port zoo.cfg names, storage on LMDB and the data dir, the system clock, and setImmediate
// for the end of an event-loop turn. A storage failure ends the process (a supervisor restarts it).
import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { Logger } from 'pino';
import type { ElectionTiming } from '../../machines/election.js';
import type { ReplicaStorage } from '../../storage/replica-storage.js';
import { createTcpTransport, type TcpTransport } from '../../transport/tcp-peer.js';
import type { PeerAuthenticator } from '../../transport/tcp-peer-sasl.js';
import type { PeerTlsOptions } from '../../transport/tcp-peer-tls.js';
import { loadSecureContextOptions, TlsFileWatcher } from '../../transport/tls/index.js';
import { ensembleConfigText } from '../config/ensemble.js';
import { quorumRuleOfConfig } from '../config/quorum-groups.js';
import type { ServerConfig } from '../config/config.js';
import { ReplicaHost } from './host.js';
import { membershipOfConfig, peerAddressesOf, persistMembership } from './membership-files.js';
import { peerProtocolVersion } from '../../protocol/peer.js';
import { digestMd5PeerAuthenticator } from './quorum-sasl.js';
import { systemClock, type ReplicaWorld } from './world.js';

/**
 * A SNAP carries the whole tree as one peer message (the transport cuts it into 4 MiB wire
 * frames), so it bounds the tree a learner can be brought up with. The send queue must hold a
 * SNAP and what is proposed while it drains, and a DIFF may queue a long log tail.
 */
const peerFrameBytesMax = 1024 * 1024 * 1024;
const peerSendQueueBytesMax = peerFrameBytesMax + 512 * 1024 * 1024;

export interface TcpReplicaOptions {
  settings: ServerConfig;
  logger: Logger;
  storage: ReplicaStorage;
  inspect?: (event: InspectionEvent) => void;
  /** Told of the replica machine's actor as it is created (the machine event stream's hub). */
  trackActor?: (actor: AnyActorRef) => void;
  electionTiming?: Partial<ElectionTiming>;
  /** Storage failed under the replica: by default log and exit, so a supervisor restarts it. */
  onFatal?: (error: unknown) => void;
}

export function tcpWorld(options: TcpReplicaOptions): ReplicaWorld {
  const { settings, logger, storage } = options;
  const myId = requireMyId(settings);
  let transport: TcpTransport | undefined;
  return {
    storage,
    logger,
    clock: systemClock,
    nextTurn: (work) => setImmediate(work),
    openNetwork: () => {
      const own = settings.servers.get(myId)!;
      const peers = peerAddressesOf(membershipOfConfig(settings), myId);
      const tls = peerTlsOptions(settings);
      const peerAuth = peerAuthenticator(settings);
      return createTcpTransport({
        localId: myId,
        listen: { host: own.host, port: own.quorumPort },
        // Where a replica that does not know us yet (we are joining) dials back to verify us.
        advertise: { host: own.host, port: own.quorumPort },
        peers,
        versionMax: settings.peerWireVersion,
        acceptJoining: settings.reconfigEnabled,
        frameBytesMax: peerFrameBytesMax,
        sendQueueBytesMax: peerSendQueueBytesMax,
        logger,
        ...(tls === undefined ? {} : { tls }),
        ...(peerAuth === undefined ? {} : { peerAuth }),
      }).then((opened) => {
        transport = opened;
        return watchQuorumCertificates(settings, opened, logger);
      });
    },
    membershipChanged: (membership) => {
      persistMembership(settings, membership, logger);
      transport?.setPeers(peerAddressesOf(membership, myId));
    },
    fail: (error) => {
      if (options.onFatal !== undefined) {
        options.onFatal(error);
        return;
      }
      logger.fatal({ error: String(error) }, 'replica storage failed; stopping');
      process.exit(70);
    },
  };
}

/** sslQuorum / portUnification as the transport takes them; undefined for plaintext only. */
function peerTlsOptions(settings: ServerConfig): PeerTlsOptions | undefined {
  const tls = settings.quorumTls;
  if (tls === undefined) return undefined;
  return {
    secureContext: loadSecureContextOptions(tls),
    dialTls: settings.sslQuorum,
    portUnification: settings.quorumPortUnification,
    hostnameVerification: tls.hostnameVerification,
    detectionTimeoutMs: tls.handshakeDetectionTimeoutMs,
  };
}

/** quorum.auth.enableSasl: DIGEST-MD5 with the JAAS quorum sections; undefined when off. */
function peerAuthenticator(settings: ServerConfig): PeerAuthenticator | undefined {
  if (!settings.quorumSaslEnabled) return undefined;
  const credentials = settings.quorumSaslCredentials;
  // The config loader reads them whenever SASL is on; without them no replica could link.
  if (credentials === undefined) throw new Error('quorum SASL is enabled without credentials');
  return digestMd5PeerAuthenticator({
    ...credentials,
    serverRequired: settings.quorumServerRequireSasl,
    learnerRequired: settings.quorumLearnerRequireSasl,
  });
}

/** sslQuorumReloadCertFiles: changed store files reach new peer connections; closed with it. */
function watchQuorumCertificates(
  settings: ServerConfig,
  transport: TcpTransport,
  logger: Logger,
): TcpTransport {
  const tls = settings.quorumTls;
  if (tls === undefined || !settings.quorumCertReload) return transport;
  const watcher = new TlsFileWatcher(tls, {
    reloaded: (options) => {
      transport.setSecureContext(options);
      logger.info({}, 'quorum TLS certificates reloaded');
    },
    failed: (error) =>
      logger.warn({ error: String(error) }, 'quorum TLS certificates not reloaded'),
  });
  const close = transport.close.bind(transport);
  transport.close = (cause) => {
    watcher.close();
    close(cause);
  };
  return transport;
}

function requireMyId(settings: ServerConfig): number {
  if (settings.myId === undefined) throw new Error('an ensemble replica needs its myid');
  return settings.myId;
}

/** The replica zoo.cfg describes, hosted over TCP and LMDB. */
export function createTcpReplica(options: TcpReplicaOptions): ReplicaHost {
  const { settings } = options;
  const voters = [...settings.servers.values()]
    .filter((server) => server.peerType === 'participant')
    .map((server) => server.id);
  return new ReplicaHost(tcpWorld(options), {
    myId: requireMyId(settings),
    voters,
    quorum: quorumRuleOfConfig(settings.servers, settings.quorumHierarchy),
    members: [...settings.servers.keys()],
    membership: membershipOfConfig(settings),
    reconfigEnabled: settings.reconfigEnabled,
    standaloneEnabled: settings.standaloneEnabled,
    // Wire version 4 is the release before reconfig: it speaks peer protocol 1.
    protocolVersion: settings.peerWireVersion >= 5 ? peerProtocolVersion : 1,
    leaderServes: settings.leaderServes,
    timing: {
      tickMs: settings.tickTimeMs,
      initLimitTicks: settings.initLimit,
      syncLimitTicks: settings.syncLimit,
    },
    configText: ensembleConfigText(
      settings.servers, settings.configVersion, settings.quorumHierarchy, settings.sites),
    readOnlyModeEnabled: settings.readOnlyModeEnabled,
    treeBroadcast: settings.treeBroadcast,
    treeBroadcastDirectAcks: settings.treeBroadcastDirectAcks,
    siteSync: settings.siteSync,
    ...(options.electionTiming === undefined ? {} : { electionTiming: options.electionTiming }),
    ...(options.inspect === undefined ? {} : { inspect: options.inspect }),
    ...(options.trackActor === undefined ? {} : { trackActor: options.trackActor }),
  });
}
