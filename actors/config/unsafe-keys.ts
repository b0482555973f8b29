// ZooKeeper's "unsafe options" corral honours: forceSync=no (acknowledge txns before they reach
// the disk) and skipACL=yes (no ACL checks). Each is an operator's deliberate choice ZooKeeper
// offers; both are spelled as ZooKeeper reads them (exactly "yes" or "no"), and any other value
// stops startup rather than be guessed at (ZooKeeper would read "NO" or "false" as the default).
// Beside them the data-dir safety switch zookeeper.datadir.autocreate.
import { ValueProblem, valueParsers, type ValueParser } from '../../protocol/config/values.js';

export interface UnsafeConfig {
  /** zoo.cfg forceSync (zookeeper.forceSync): fsync each batch of txns before acknowledging it.
   * `no` leaves flushing to the operating system: a power loss may lose acknowledged writes. */
  forceSync: boolean;
  /** zoo.cfg skipACL (zookeeper.skipACL): `yes` skips every ACL check on this server, as
   * ZooKeeperServer.checkACL does; for writes the leader's setting decides. */
  skipAcl: boolean;
  /** zookeeper.datadir.autocreate: false refuses to start when dataDir or dataLogDir is
   * missing, rather than start empty in a mistyped directory (a split brain of two histories). */
  dataDirAutocreate: boolean;
}

export const unsafeDefaults = {
  forceSync: true,
  skipAcl: false,
  dataDirAutocreate: true,
} as const satisfies UnsafeConfig;

const yesOrNo: ValueParser = (value) => {
  if (value !== 'yes' && value !== 'no') throw new ValueProblem('expected yes or no');
  return value === 'yes';
};

/** A parsed value in zoo.cfg's spelling again, for config.ts's revalidation. */
const asYesOrNo = (value: unknown): string => (value === true ? 'yes' : 'no');

/** The rules, in the shape of config.ts's zooCfgKeys table (both spellings). */
export const unsafeKeyRules = {
  forceSync: { field: 'forceSync', parse: yesOrNo, format: asYesOrNo },
  'zookeeper.forceSync': { field: 'forceSync', parse: yesOrNo, format: asYesOrNo },
  skipACL: { field: 'skipAcl', parse: yesOrNo, format: asYesOrNo },
  'zookeeper.skipACL': { field: 'skipAcl', parse: yesOrNo, format: asYesOrNo },
  'datadir.autocreate': { field: 'dataDirAutocreate', parse: valueParsers.boolean },
  'zookeeper.datadir.autocreate': { field: 'dataDirAutocreate', parse: valueParsers.boolean },
} as const;
