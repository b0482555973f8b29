// One of ZooKeeper's two watch tables (data or child): which sessions watch which path and in
// which modes. A session may hold a one-shot and a persistent registration on the same path at
// once (ZooKeeper 3.9 keeps them apart; 3.8 let the last one overwrite the mode); of the two
// persistent modes the last addWatch wins, as in both versions.

export const WatchMode = {
  standard: 1,
  persistent: 2,
  persistentRecursive: 4,
} as const;

/** Modes a session holds on one path, as WatchMode bits. */
type ModeBits = number;

export class WatchTable {
  private readonly byPath = new Map<string, Map<bigint, ModeBits>>();
  private readonly bySession = new Map<bigint, Set<string>>();
  private recursiveCount = 0;

  add(path: string, sessionId: bigint, mode: number): void {
    let sessions = this.byPath.get(path);
    if (sessions === undefined) this.byPath.set(path, (sessions = new Map()));
    let bits = sessions.get(sessionId) ?? 0;
    if (mode !== WatchMode.standard) {
      // A persistent addWatch replaces the other persistent mode.
      if ((bits & WatchMode.persistentRecursive) !== 0) this.recursiveCount--;
      bits &= WatchMode.standard;
    }
    if (mode === WatchMode.persistentRecursive && (bits & mode) === 0) this.recursiveCount++;
    sessions.set(sessionId, bits | mode);
    let paths = this.bySession.get(sessionId);
    if (paths === undefined) this.bySession.set(sessionId, (paths = new Set()));
    paths.add(path);
  }

  has(path: string, sessionId: bigint): boolean {
    return this.byPath.get(path)?.has(sessionId) === true;
  }

  /** Drops every registration of the session on the path; false when there was none. */
  remove(path: string, sessionId: bigint): boolean {
    const sessions = this.byPath.get(path);
    const bits = sessions?.get(sessionId);
    if (sessions === undefined || bits === undefined) return false;
    this.clear(path, sessions, sessionId, bits);
    return true;
  }

  removeSession(sessionId: bigint): void {
    const paths = this.bySession.get(sessionId);
    if (paths === undefined) return;
    for (const path of [...paths]) this.remove(path, sessionId);
  }

  private clear(path: string, sessions: Map<bigint, ModeBits>, sessionId: bigint, bits: number) {
    if ((bits & WatchMode.persistentRecursive) !== 0) this.recursiveCount--;
    sessions.delete(sessionId);
    if (sessions.size === 0) this.byPath.delete(path);
    const paths = this.bySession.get(sessionId);
    paths?.delete(path);
    if (paths?.size === 0) this.bySession.delete(sessionId);
  }

  /** WatchManager.triggerWatch: the sessions to notify of an event on `path`, added to
   * `fired` (so each session appears once). At the path itself every registration fires and
   * one-shots are consumed; recursive ones, there and on every ancestor, fire for anything
   * but a children change. */
  collect(path: string, childrenChange: boolean, fired: Set<bigint>): void {
    const own = this.byPath.get(path);
    if (own !== undefined) {
      for (const [sessionId, bits] of own) {
        const fires = (bits & ~WatchMode.persistentRecursive) !== 0 || !childrenChange;
        if (fires) fired.add(sessionId);
        if ((bits & WatchMode.standard) !== 0) {
          if (bits === WatchMode.standard) this.clear(path, own, sessionId, bits);
          else own.set(sessionId, bits & ~WatchMode.standard);
        }
      }
    }
    if (this.recursiveCount === 0 || childrenChange) return;
    for (let end = path.lastIndexOf('/'); end >= 0; end = path.lastIndexOf('/', end - 1)) {
      const ancestor = end === 0 ? '/' : path.slice(0, end);
      const sessions = this.byPath.get(ancestor);
      if (sessions !== undefined) {
        for (const [sessionId, bits] of sessions) {
          if ((bits & WatchMode.persistentRecursive) !== 0) fired.add(sessionId);
        }
      }
      if (end === 0) break;
    }
  }

  /** Paths with their watching sessions, in registration order. */
  paths(): Array<{ path: string; sessionIds: bigint[] }> {
    return [...this.byPath].map(([path, sessions]) => ({ path, sessionIds: [...sessions.keys()] }));
  }

  /** Sessions with the paths they watch. */
  sessions(): Map<bigint, string[]> {
    const result = new Map<bigint, string[]>();
    for (const [sessionId, paths] of this.bySession) result.set(sessionId, [...paths]);
    return result;
  }

  /** Number of (path, session) registrations, ZooKeeper's IWatchManager.size(). */
  get size(): number {
    let count = 0;
    for (const sessions of this.byPath.values()) count += sessions.size;
    return count;
  }
}
