// Each simulated replica's own clock, and which replicas are paused (SIGSTOP): a paused
// replica's clock stands still while true time moves on, and jumps to it when the replica
// resumes, firing every timer that came due meanwhile.
import { SimulatedClock } from 'xstate';
import type { ServerId } from '../protocol/peer.js';

export class ReplicaClocks {
  private readonly clocks = new Map<ServerId, SimulatedClock>();
  private readonly paused = new Set<ServerId>();

  /** `now` reads true time (the cluster's clock). */
  constructor(private readonly now: () => number) {}

  /** A clock at true time for an incarnation of `id` starting, which is not paused. */
  start(id: ServerId): SimulatedClock {
    const clock = new SimulatedClock();
    clock.set(this.now());
    this.paused.delete(id);
    return clock;
  }

  /** The incarnation started: its clock follows true time from now on. */
  track(id: ServerId, clock: SimulatedClock): void {
    this.clocks.set(id, clock);
  }

  /** The incarnation is gone (crashed or stopped). */
  forget(id: ServerId): void {
    this.clocks.delete(id);
    this.paused.delete(id);
  }

  pause(id: ServerId): void {
    this.paused.add(id);
  }

  /** Unpauses `id` and brings its clock to true time; false when it was not paused. */
  resume(id: ServerId): boolean {
    if (!this.paused.delete(id)) return false;
    this.clocks.get(id)?.set(this.now());
    return true;
  }

  isPaused(id: ServerId): boolean {
    return this.paused.has(id);
  }

  /** True time moved: every clock not paused follows it. */
  catchUp(): void {
    for (const [id, clock] of this.clocks) {
      if (!this.paused.has(id)) clock.set(this.now());
    }
  }
}
