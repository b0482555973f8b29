// corral's own zoo.cfg key `peerWireVersion` (and the `--peer-wire-version` flag): the newest peer
// wire version this replica speaks, so a rolling upgrade can run new replicas that speak as the
// previous release until every replica is upgraded. A version corral does not speak stops startup.
import { ValueProblem, type ValueParser } from '../../protocol/config/values.js';

/** The peer wire versions this release speaks: 4 is the previous release's, 5 its own. */
export const peerWireVersions = [4, 5] as const;
export type PeerWireVersion = (typeof peerWireVersions)[number];

export const peerWireVersionParser: ValueParser = (value) => {
  const version = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!(peerWireVersions as readonly number[]).includes(version)) {
    throw new ValueProblem(`expected one of ${peerWireVersions.join(', ')}`);
  }
  return version as PeerWireVersion;
};

export interface PeerWireConfig {
  /** zoo.cfg `peerWireVersion` (corral's own key): the newest peer wire version this replica
   * speaks; 4 speaks as the previous release. `--peer-wire-version` wins over it. */
  peerWireVersion: PeerWireVersion;
}

export const peerWireDefaults = {
  peerWireVersion: 5,
} as const satisfies PeerWireConfig;

/** The zoo.cfg rules, in the shape of zoo-cfg-key-rules.ts's table. */
export const peerWireKeyRules = {
  peerWireVersion: { field: 'peerWireVersion', parse: peerWireVersionParser },
} as const;
