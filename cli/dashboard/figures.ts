// The ensemble's figures beside its machines: once a second the dashboard asks every replica's
// admin server for `server_stats` and `monitor` (as `corral status --admin` does) and turns the
// answers into StreamFigures, with each follower's commit lag measured against the leader.
import { adminFigures, type ReplicaFigures } from '../status-figures.js';
import { adminJson, type AdminAddress } from '../admin-client.js';
import type { StreamFigures } from '../../protocol/machine-stream.js';

export const figuresIntervalMs = 1_000;
/** Below the interval, so one slow replica never makes rounds overlap. */
const figuresTimeoutMs = 900;

/** A zxid's epoch: its high 32 bits. */
export function epochOf(zxid: number): number {
  return Math.floor(zxid / 2 ** 32);
}

export function zxidHex(zxid: number): string {
  return `0x${zxid.toString(16)}`;
}

/**
 * One round's figures as the page reads them. Commit lag is the leader's last zxid less the
 * replica's, counted only within the leader's epoch: across epochs the counters restart and the
 * difference means nothing (the replica is syncing, not lagging by that many txns).
 */
export function streamFigures(
  round: ReadonlyArray<{ replica: string; figures: ReplicaFigures }>,
  time: number,
): StreamFigures[] {
  const leader = round.find(({ figures }) => figures.role === 'leader')?.figures;
  const leaderZxid = leader?.zxid;
  return round.map(({ replica, figures }) => {
    const result: StreamFigures = { kind: 'figures', replica, address: figures.address, time,
      role: figures.role };
    if (figures.zxid !== undefined) {
      result.epoch = epochOf(figures.zxid);
      result.lastZxid = zxidHex(figures.zxid);
      const following = figures.role === 'follower' || figures.role === 'observer';
      if (following && leaderZxid !== undefined && epochOf(leaderZxid) === result.epoch) {
        result.commitLag = Math.max(0, leaderZxid - figures.zxid);
      }
    }
    if (figures.role === 'leader' && figures.zxid !== undefined) result.commitLag = 0;
    copy(result, 'connections', figures.connections);
    copy(result, 'outstandingRequests', figures.outstandingRequests);
    copy(result, 'avgLatencyMs', figures.avgLatencyMs);
    copy(result, 'uptimeMs', figures.uptimeMs);
    if (figures.leaderUptimeMs !== undefined) {
      result.electionEndedAt = time - figures.leaderUptimeMs;
    }
    return result;
  });
}

function copy<K extends keyof StreamFigures>(
  target: StreamFigures,
  key: K,
  value: StreamFigures[K] | undefined,
): void {
  if (value !== undefined) target[key] = value;
}

export interface FiguresTarget {
  address: AdminAddress;
  /** The replica's id as the page knows it (its hello's), asked afresh every round. */
  replica: () => string;
  /** Whether that id is known; if not, the replica's `configuration` is asked for it. */
  knowsId: () => boolean;
  learnId: (id: string) => void;
  /** Whether the page is told of it yet (a replica not yet named is kept back a while). */
  shown: () => boolean;
}

/** Polls every target once a second until stopped; rounds never overlap. */
export class FiguresPoller {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private latest: StreamFigures[] = [];

  constructor(
    private readonly targets: readonly FiguresTarget[],
    private readonly commandUrl: string,
    private readonly deliver: (figures: StreamFigures) => void,
  ) {}

  /** The last round's figures, for a browser that connects now. */
  snapshot(): readonly StreamFigures[] {
    return this.latest;
  }

  start(): void {
    void this.round();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  private async askId(target: FiguresTarget): Promise<void> {
    const base = this.commandUrl.replace(/\/+$/, '');
    const answer = await adminJson(target.address, `${base}/configuration`, figuresTimeoutMs);
    // A standalone server's id is 0, and its stream calls it "standalone": its hello names it.
    const id = Number(answer?.server_id);
    if (Number.isInteger(id) && id > 0) target.learnId(String(id));
  }

  private async round(): Promise<void> {
    const startedAt = Date.now();
    const answers = await Promise.all(this.targets.map(async (target) => {
      const figures = await adminFigures(target.address, this.commandUrl, figuresTimeoutMs);
      if (!target.knowsId() && figures.role !== 'down' && figures.role !== 'not serving') {
        await this.askId(target);
      }
      return { replica: target.replica(), figures, shown: target.shown() };
    }));
    if (this.stopped) return;
    this.latest = streamFigures(answers, Date.now())
      .filter((_, index) => answers[index]!.shown);
    for (const figures of this.latest) this.deliver(figures);
    const waitMs = Math.max(0, figuresIntervalMs - (Date.now() - startedAt));
    this.timer = setTimeout(() => void this.round(), waitMs);
  }
}
