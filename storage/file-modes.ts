// What corral creates under a data dir is readable by its owner alone: the log and snapshots
// hold every znode's bytes, session passwords and digest ids, and the audit log who did what.
// Modes are given at creation (the process umask can only take bits away from them).

/** Directories corral creates (the data dir itself when missing, corral.lmdb, snapshots). */
export const directoryMode = 0o700;
/** Files corral creates (LMDB's data and lock files, snapshots, the lock record, the audit log). */
export const fileMode = 0o600;
