// What the header, the replica cards and the session lists show, derived from a world (live or
// as of a history entry) and each replica's latest figures: roles, the leader, whether an
// election is under way and its votes, and the sessions per replica by state.
import type { DashboardModel } from './dashboard-model.js';
import { statePath, topState } from './chart.js';
import type { ActorView, Vote, World } from './world.js';

export type Role = 'leader' | 'follower' | 'observer' | 'looking' | 'standalone' | 'down';

export interface ReplicaSummary {
  id: string;
  role: Role;
  /** The replica machine's state as a path ('following.phase:broadcast | liveness:ticking'). */
  machineState?: string;
  replicaActor?: ActorView;
  /** The election actor: the live one, else the last one (its votes stay readable). */
  election?: ActorView;
  votes: Vote[];
  sessions: ActorView[];
  /** Its epoch: from its figures, else the currentEpoch its replica machine persisted. */
  epoch?: number;
}

export interface EnsembleSummary {
  leader: string;
  electionInProgress: boolean;
  epoch?: number;
  replicas: ReplicaSummary[];
}

const roleByState: Record<string, Role> = {
  leading: 'leader',
  following: 'follower',
  observing: 'observer',
  looking: 'looking',
  deciding: 'looking',
};

/** A figures role as the contract's data-role. */
function roleOfFigures(role: string | undefined): Role | undefined {
  switch (role) {
    case 'leader':
    case 'follower':
    case 'observer':
    case 'standalone':
    case 'down':
      return role;
    case 'not serving':
    case 'read-only':
      return 'looking';
    default:
      return undefined;
  }
}

function latestOf(actors: ActorView[]): ActorView | undefined {
  const live = actors.filter((actor) => actor.ended === undefined);
  const pool = live.length > 0 ? live : actors;
  return pool.reduce<ActorView | undefined>(
    (best, actor) => best === undefined || Number(actor.id) > Number(best.id) ? actor : best,
    undefined,
  );
}

/**
 * The replica's role: down when its stream or admin server is gone (live only); else its
 * replica machine's state, which changes the moment it does; else what its figures say.
 */
function roleOf(model: DashboardModel, id: string, replicaActor: ActorView | undefined,
  live: boolean): Role {
  const info = model.replicas.get(id);
  if (live && model.info.mode === 'live') {
    if (info?.source?.connected === false || info?.figures?.role === 'down') return 'down';
  }
  if (id === 'standalone' || info?.figures?.role === 'standalone') return 'standalone';
  if (replicaActor !== undefined && replicaActor.ended === undefined) {
    const role = roleByState[topState(replicaActor.state)];
    if (role !== undefined) return role;
  }
  if (replicaActor?.ended !== undefined) return 'down';
  return roleOfFigures(info?.figures?.role) ?? 'down';
}

export function summarize(model: DashboardModel, world: World, live: boolean): EnsembleSummary {
  const replicas: ReplicaSummary[] = [];
  for (const id of model.replicaIds()) {
    const actors = [...(world.replicas.get(id)?.values() ?? [])];
    const replicaActor = latestOf(actors.filter((actor) => actor.machine === 'replica'));
    const election = latestOf(actors.filter((actor) => actor.machine === 'election'));
    const summary: ReplicaSummary = {
      id,
      role: roleOf(model, id, replicaActor, live),
      votes: election?.votes ?? [],
      sessions: actors.filter((actor) => actor.machine === 'session'),
    };
    if (replicaActor !== undefined) {
      summary.replicaActor = replicaActor;
      summary.machineState = statePath(replicaActor.state);
    }
    if (election !== undefined) summary.election = election;
    const epoch = model.replicas.get(id)?.figures?.epoch ?? replicaActor?.epoch;
    if (epoch !== undefined) summary.epoch = epoch;
    replicas.push(summary);
  }
  const leader = replicas.find((replica) => replica.role === 'leader')?.id ?? '';
  const electionInProgress = replicas.some((replica) => replica.role === 'looking') ||
    replicas.some((replica) => replica.election !== undefined &&
      replica.election.ended === undefined && replica.role !== 'down');
  const summary: EnsembleSummary = { leader, electionInProgress, replicas };
  const epochs = replicas
    .map((replica) => replica.epoch)
    .filter((epoch): epoch is number => typeof epoch === 'number');
  const leaderEpoch = replicas.find((replica) => replica.id === leader)?.epoch;
  const epoch = leaderEpoch ?? (epochs.length > 0 ? Math.max(...epochs) : undefined);
  if (epoch !== undefined) summary.epoch = epoch;
  return summary;
}

/** A session's state as the session list shows it: its state path, or 'ended'. */
export function sessionState(session: ActorView): string {
  return session.ended !== undefined ? 'ended' : statePath(session.state);
}

/** Sessions per state, in a stable order (live states first, ended last). */
export function sessionCounts(sessions: ActorView[]): Array<{ state: string; count: number }> {
  const counts = new Map<string, number>();
  for (const session of sessions) {
    const state = sessionState(session);
    counts.set(state, (counts.get(state) ?? 0) + 1);
  }
  return [...counts.entries()]
    .map(([state, count]) => ({ state, count }))
    .sort((a, b) => (a.state === 'ended' ? 1 : 0) - (b.state === 'ended' ? 1 : 0) ||
      a.state.localeCompare(b.state));
}
