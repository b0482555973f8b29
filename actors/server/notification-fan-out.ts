// Writes watch notifications to their connections a slice at a time. One setData can fire
// thousands of watches; written in one go, its notifications would hold the event loop (and the
// writer's reply, and every other session's requests) until the last socket write. Instead each
// watcher's connection gets the frame queued (one frame shared by all who get the same event),
// the first slice of connections is written at once, and the rest a slice per turn, behind
// whatever the loop has to do. A connection about to send a reply writes its queue first
// (connection-notifications.ts), so no reply overtakes the event it reveals.

import { encodeNotification } from '../../protocol/responses.js';
import type { WatcherEvent } from '../../protocol/records.js';
import type { Notification } from '../../tree/watches.js';
import type { ClientConnection } from './client-connection.js';

/** Connections written per turn: a small herd goes out at once, as before slicing. */
export const fanOutConnectionsPerTurnMax = 256;

export class NotificationFanOut {
  /** Connections that had nothing queued when a notification was queued on them, in order. */
  private waiting: ClientConnection[] = [];
  private scheduled = false;

  constructor(
    /** Runs work after the current turn (setImmediate; the simulator's scheduler there). */
    private readonly nextTurn: (work: () => void) => void,
    private readonly connectionsPerTurnMax = fanOutConnectionsPerTurnMax,
  ) {}

  /** Connections still to be written to. */
  get backlog(): number {
    return this.waiting.length;
  }

  queue(connection: ClientConnection, frame: Buffer): void {
    if (connection.queueNotification(frame)) this.waiting.push(connection);
  }

  /**
   * Queues one change's notifications on their watchers' connections (those still open). A
   * change tells every watcher the same event, so its frame is encoded once and shared; 3.8
   * sends notifications with zxid -1.
   */
  queueAll(
    notifications: readonly Notification[],
    connectionOf: (watcher: bigint) => ClientConnection | undefined,
  ): void {
    let frame: Buffer | undefined;
    let framed: WatcherEvent | undefined;
    for (const { sessionId: watcher, event } of notifications) {
      const connection = connectionOf(watcher);
      if (connection === undefined) continue;
      if (framed === undefined || !sameEvent(framed, event)) {
        frame = encodeNotification(-1, event);
        framed = event;
      }
      this.queue(connection, frame!);
    }
  }

  /** Writes a slice now (after the txns of one apply queued theirs); the rest in later turns. */
  flush(): void {
    if (this.scheduled || this.waiting.length === 0) return;
    this.writeSlice();
  }

  private writeSlice(): void {
    const slice = this.waiting.length <= this.connectionsPerTurnMax
      ? this.waiting
      : this.waiting.splice(0, this.connectionsPerTurnMax);
    if (slice === this.waiting) this.waiting = [];
    for (const connection of slice) connection.flushNotifications();
    if (this.waiting.length === 0) return;
    this.scheduled = true;
    this.nextTurn(() => {
      this.scheduled = false;
      this.writeSlice();
    });
  }
}

function sameEvent(one: WatcherEvent, other: WatcherEvent): boolean {
  return one.type === other.type && one.state === other.state && one.path === other.path;
}
