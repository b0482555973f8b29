// Reconfiguration among the simulator's faults (issue 13): an operator's reconfig, sent to a
// running member as a client's would be (the replica's host stamps the leader's verdict on its
// authority, and a follower forwards it), adding spares as participants or observers, removing
// a follower, an observer or the leader, or swapping a member's role, incrementally or with the
// whole new membership, now and then from a stale configuration version. Whatever the other
// faults are doing meanwhile (a leader crash mid-reconfig, a partition during activation, a
// power loss) is theirs. The generator never asks for fewer than three voters, nor for a change
// it knows leaves no quorum of running voters: ZooKeeper would refuse it, and the run would stop
// making progress for good. Refusals (in progress, stale version, no synced quorum) are expected.
import type { ServerId } from '../protocol/peer.js';
import {
  membershipOfIds,
  serverLine,
  type Membership,
  type VersionedMembership,
} from '../protocol/membership.js';
import type { ReconfigRequestBody } from '../protocol/txn.js';
import type { Cluster } from './cluster.js';
import type { SeededRandom } from './random.js';

export const reconfigKinds = [
  'addParticipant',
  'addObserver',
  'addTwo',
  'removeFollower',
  'removeObserver',
  'removeLeader',
  'removeTwo',
  'swapRole',
  'swapRoleWhole',
] as const;

export type ReconfigKind = (typeof reconfigKinds)[number];

/** What a run's reconfigs did (the summary counts them). */
export interface ReconfigCounts {
  /** Reconfigs sent, by kind. */
  asked: Record<ReconfigKind, number>;
  /** Of them, sent with a stale fromConfig (ZooKeeper answers BadVersion). */
  stale: number;
}

/** The operator's session: no client of the history's, so its txns are outside the checks. */
export const operatorSessionId = 0x0fe0_0000_0000_0001n;
/** A voter count below this the generator never asks for (ZooKeeper's guide's least). */
const votersMin = 3;
const staleChance = 0.1;
/**
 * How often a reconfig goes with some of the other voters cut off from the leader as it is sent
 * (before the leader proposes it): partitioned from it (the link breaks as it sends), or paused
 * (silent, their links intact, until a resume or the healing). Activation then needs the voters
 * the leader still hears; the cut-off ones may elect a leader of their own, or come back to a
 * leader that crashed meanwhile (a leader crash mid-reconfig).
 */
const partitionChance = 0.25;
const pauseInsteadChance = 0.5;
/**
 * How often a reconfig sent with voters cut off is followed, some steps later, by a leader crash
 * mid-reconfig: the leader dies and the voters it was cut off from come back (the paused ones
 * resume) while it is down, so they may elect a leader of their own from what they logged. This
 * is the order that shows a configuration activated without the old quorum (the variant
 * activateWithoutOldQuorum): the old voters never heard of it, and elect without it.
 */
const leaderCrashChance = 0.4;
/** Steps between such a reconfig and the leader's crash: drawn in [min, min + span). */
const leaderCrashDelayMin = 20;
const leaderCrashDelaySpan = 200;
/** Kinds drawn at most per reconfig fault until one makes sense now (few do with 3 voters). */
const drawsMax = 4;
/** The operator authenticated as ZooKeeper's super user (its digest matched superDigest). */
const superUser = { ids: [{ scheme: 'super', id: 'super' }], superUser: true };
/** How often a reconfig names the version it starts from (ZooKeeper's curConfigId). */
const fromCurrentChance = 0.2;

type Role = 'participant' | 'observer';

/** Lines for reconfigs: each replica's address as the cluster harness gives it. */
function lineOf(id: ServerId, role: Role): string {
  return `server.${id}=replica-${id}:2888:3888:${role};2181`;
}

function roleIn(membership: Membership, id: ServerId): Role | undefined {
  return membership.servers.find((server) => server.id === id)?.peerType;
}

/** The change a reconfig asks for, as the request's fields and the membership it would give. */
interface Change {
  kind: ReconfigKind;
  ask: Pick<ReconfigRequestBody, 'joining' | 'leaving' | 'newMembers'>;
  roles: Map<ServerId, Role>;
}

/** How often the reconfig faults cut voters off, and follow that with a leader crash. */
export interface ReconfigFaultMix {
  /** Chance that a reconfig goes with voters cut off from the leader (partitionChance). */
  cutChance: number;
  /** Chance that the voters cut off are paused (silent, links intact) rather than partitioned. */
  pauseChance: number;
  /** Chance that such a reconfig is followed by a leader crash mid-reconfig. */
  leaderCrashChance: number;
}

export const reconfigFaultMixDefaults: ReconfigFaultMix = {
  cutChance: partitionChance,
  pauseChance: pauseInsteadChance,
  leaderCrashChance,
};

export class ReconfigFaults {
  readonly counts: ReconfigCounts = {
    asked: Object.fromEntries(reconfigKinds.map((kind) => [kind, 0])) as Record<
      ReconfigKind,
      number
    >,
    stale: 0,
  };
  /** Leader crashes mid-reconfig that ran (see leaderCrashChance). */
  leaderCrashes = 0;
  private cxid = 0;
  /** A leader crash mid-reconfig still to come: when (in steps), whom, who comes back. */
  private pendingCrash: { inSteps: number; leaderId: ServerId; cut: ServerId[] } | undefined;

  constructor(
    private readonly cluster: Cluster,
    private readonly initial: Membership,
    private readonly mix: ReconfigFaultMix = reconfigFaultMixDefaults,
  ) {}

  /** The configuration the generator believes in: the newest the ledger has committed. */
  current(): VersionedMembership {
    return this.cluster.configs.newestCommitted() ?? { ...this.initial, version: 0 };
  }

  /** Draws and sends one reconfig; its description (for the trace), or undefined for none. */
  apply(random: SeededRandom): string | undefined {
    const current = this.current();
    let change: Change | undefined;
    for (let draw = 0; draw < drawsMax && change === undefined; draw++) {
      change = this.draw(random, current);
      if (change !== undefined && !this.keepsQuorum(change.roles)) change = undefined;
    }
    if (change === undefined) return undefined;
    const members = new Set(current.servers.map((server) => server.id));
    const via = this.cluster.reachable().filter((replica) => members.has(replica.id));
    if (via.length === 0) return undefined;
    // Only under a leader every running member serves: one already losing its followers would
    // step down whatever the reconfig.
    const leaderId = this.cluster.stableLeader();
    const cut = leaderId !== undefined && this.pendingCrash === undefined &&
      random.chance(this.mix.cutChance)
      ? this.cutOff(random, current, leaderId)
      : [];
    if (cut.length > 0 && random.chance(this.mix.leaderCrashChance)) {
      const inSteps = leaderCrashDelayMin + random.int(leaderCrashDelaySpan);
      this.pendingCrash = { inSteps, leaderId: leaderId!, cut };
    }
    // Sent to the leader itself when it is cut off from voters (it may be from the sender).
    const replica = cut.length > 0 ? this.cluster.replica(leaderId!) : random.pick(via);
    let fromConfig = -1;
    const roll = random.next();
    if (roll < staleChance) {
      // A version other than the current one: an earlier one's, or one never made.
      fromConfig = current.version === 0 ? 1 + random.int(0xffff) : current.version - 1;
      this.counts.stale++;
    } else if (roll < staleChance + fromCurrentChance) {
      fromConfig = current.version;
    }
    const body: ReconfigRequestBody = {
      type: 'reconfigRequest',
      ...change.ask,
      fromConfig,
      auth: superUser,
    };
    this.cxid += 1;
    replica.host.submit(operatorSessionId, this.cxid, body);
    this.counts.asked[change.kind]++;
    const asked = [
      change.ask.joining === null ? '' : ` joining ${change.ask.joining}`,
      change.ask.leaving === null ? '' : ` leaving ${change.ask.leaving}`,
      change.ask.newMembers === null ? '' : ` newMembers ${change.ask.newMembers}`,
    ].join('');
    const how = cut.length > 0 && this.cluster.isPaused(cut[0]!) ? ' (paused)' : '';
    const partitioned = cut.length === 0 ? '' : `; leader ${leaderId} cut off from ${cut}${how}`;
    return `reconfig ${change.kind} via ${replica.id} from ${fromConfig}:${asked}${partitioned}`;
  }

  /**
   * Each step: a leader crash mid-reconfig that is due happens now (the leader crashes, the
   * voters cut off from it resume); its description for the trace, or undefined.
   */
  step(): string | undefined {
    const pending = this.pendingCrash;
    if (pending === undefined) return undefined;
    pending.inSteps--;
    if (pending.inSteps > 0) return undefined;
    this.pendingCrash = undefined;
    const { leaderId, cut } = pending;
    if (!this.cluster.running().includes(leaderId)) return undefined;
    this.cluster.crash(leaderId);
    for (const id of cut) if (this.cluster.isPaused(id)) this.cluster.resume(id);
    this.leaderCrashes++;
    return `leader crash mid-reconfig: ${leaderId} crashed, ${cut} back`;
  }

  /** Partitions the leader from some of the other voters, or pauses them; the ids cut off. */
  private cutOff(random: SeededRandom, current: Membership, leaderId: ServerId): ServerId[] {
    const others = current.servers
      .filter((server) => server.peerType === 'participant' && server.id !== leaderId)
      .map((server) => server.id);
    // Often every one of them: the leader alone then lacks the old configuration's quorum.
    const cut = others.filter(() => random.chance(0.75));
    if (cut.length === 0 && others.length > 0) cut.push(random.pick(others));
    const pause = random.chance(this.mix.pauseChance);
    for (const id of cut) {
      if (pause) this.cluster.pause(id);
      else this.cluster.network.partition(leaderId, id, 'both');
    }
    return cut;
  }

  /** A change of `kind` that makes sense in `current`, or undefined. */
  private draw(random: SeededRandom, current: VersionedMembership): Change | undefined {
    const kind = random.pick(reconfigKinds);
    const roles = new Map(current.servers.map((server) => [server.id, server.peerType] as const));
    const ids = [...roles.keys()];
    const withRole = (role: Role) => ids.filter((id) => roles.get(id) === role);
    const spares = this.cluster.members.filter((id) => !roles.has(id));
    const leaderId = this.cluster.leaderId();
    const none = { joining: null, leaving: null, newMembers: null };
    const adding = (added: ServerId[], role: Role): Change => {
      for (const id of added) roles.set(id, role);
      const joining = added.map((id) => lineOf(id, role)).join(',');
      return { kind, ask: { ...none, joining }, roles };
    };
    const removing = (removed: ServerId[]): Change => {
      for (const id of removed) roles.delete(id);
      return { kind, ask: { ...none, leaving: removed.join(',') }, roles };
    };
    switch (kind) {
      case 'addParticipant':
      case 'addObserver':
        if (spares.length === 0) return undefined;
        return adding([random.pick(spares)], kind === 'addObserver' ? 'observer' : 'participant');
      case 'addTwo': {
        // Two voters at once: the new configuration's quorum need not overlap the old one's in
        // a quorum of it, which only the old quorum's acknowledgement makes safe.
        if (spares.length < 2) return undefined;
        const first = random.pick(spares);
        return adding([first, random.pick(spares.filter((id) => id !== first))], 'participant');
      }
      case 'removeFollower': {
        const followers = withRole('participant').filter((id) => id !== leaderId);
        return followers.length === 0 ? undefined : removing([random.pick(followers)]);
      }
      case 'removeObserver': {
        const observers = withRole('observer');
        return observers.length === 0 ? undefined : removing([random.pick(observers)]);
      }
      case 'removeLeader':
        return leaderId === undefined || !roles.has(leaderId) ? undefined : removing([leaderId]);
      case 'removeTwo': {
        const voters = withRole('participant');
        if (voters.length < 2) return undefined;
        const first = random.pick(voters);
        return removing([first, random.pick(voters.filter((id) => id !== first))]);
      }
      case 'swapRole':
      case 'swapRoleWhole': {
        const id = random.pick(ids);
        const role: Role = roleIn(current, id) === 'observer' ? 'participant' : 'observer';
        roles.set(id, role);
        if (kind === 'swapRole') {
          return { kind, ask: { ...none, joining: lineOf(id, role) }, roles };
        }
        // The non-incremental form: the whole membership, one line per server.
        const newMembers = membershipOfIdsByRole(roles).servers.map(serverLine).join(',');
        return { kind, ask: { ...none, newMembers }, roles };
      }
      default:
        return kind satisfies never;
    }
  }

  /** At least three voters, a majority of them running and not paused. */
  private keepsQuorum(roles: ReadonlyMap<ServerId, Role>): boolean {
    const voters = [...roles].filter(([, role]) => role === 'participant').map(([id]) => id);
    if (voters.length < votersMin) return false;
    const reachable = new Set(this.cluster.reachable().map((replica) => replica.id));
    const running = voters.filter((id) => reachable.has(id));
    return running.length * 2 > voters.length;
  }
}

function membershipOfIdsByRole(roles: ReadonlyMap<ServerId, Role>): Membership {
  const ids = (role: Role) => [...roles].filter(([, held]) => held === role).map(([id]) => id);
  return membershipOfIds(ids('participant'), ids('observer'));
}
