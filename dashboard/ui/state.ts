// What the page remembers beside the model: where in the history it looks, the event stream's
// filters and pause, the session opened, the trace's playback. Views read it and ask for a
// redraw through `changed()`.
import type { DashboardModel } from '../model/dashboard-model.js';
import type { World } from '../model/world.js';

export interface Filters {
  replica: string;
  machine: string;
  event: string;
}

export class ViewState {
  /** One past the last history entry shown (absolute number), or undefined: live. */
  position: number | undefined;
  paused = false;
  /** The history end when the event stream was paused. */
  pausedAt = 0;
  filters: Filters = { replica: '', machine: '', event: '' };
  selected: { replica: string; actor: string } | undefined;
  playing = false;
  /** Charts are drawn whole (every state's children), not only the active branches. */
  expanded = new Set<string>();
  /** The view's end at the last redraw: a move of one step from it flashes what was taken. */
  lastShownEnd = 0;

  constructor(readonly model: DashboardModel, readonly changed: () => void) {
    if (model.info.mode === 'trace') this.position = model.history.start;
  }

  get live(): boolean {
    return this.position === undefined;
  }

  /** One past the last entry shown. */
  get viewEnd(): number {
    const history = this.model.history;
    if (this.position === undefined) return history.end;
    return Math.min(Math.max(this.position, history.start), history.end);
  }

  world(): World {
    return this.position === undefined
      ? this.model.history.live
      : this.model.history.worldAt(this.viewEnd - 1);
  }

  /** Moves the view to `end` (entries shown), clamped; in live mode the newest end is live. */
  travel(end: number | undefined): void {
    const history = this.model.history;
    if (end === undefined) {
      this.position = this.model.info.mode === 'trace' ? history.end : undefined;
    } else {
      this.position = Math.min(Math.max(end, history.start), history.end);
    }
    this.changed();
  }
}
