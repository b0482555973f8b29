// What corral does with a zoo.cfg key ZooKeeper 3.9 documents (the table is in
// zookeeper-key-table.ts): parseZooCfg asks here before it would call a key "ignored", so no key
// of the guide is ever silently dropped, and a key that asks for what corral lacks stops startup.
import { ConfigError } from '../../protocol/config/values.js';
import { zooKeeperKeyTable } from './zookeeper-key-table.js';

export type KeyTreatment =
  /** corral acts on it; `by` names where. */
  | { kind: 'honoured'; by: string }
  /** Accepted without effect: its purpose is fulfilled another way, or has no meaning here. */
  | { kind: 'equivalent'; why: string }
  /** Startup stops unless the value (lower-cased) is one of `accepts`. */
  | { kind: 'refused'; why: string; accepts: readonly string[] };

/** The table's name for a key: `server.3` is `server.x`, `authProvider.sasl` `authProvider.x`. */
function patternOf(key: string): string {
  const pattern = /^(server|group|weight)\.\d+$/.exec(key);
  if (pattern !== null) return `${pattern[1]}.x`;
  if (/^authProvider\.[^.]+$/.test(key)) return 'authProvider.x';
  return key;
}

/**
 * The guide's entry for a zoo.cfg key, and the guide's spelling of it. ZooKeeper reads a key it
 * does not parse itself as the system property `zookeeper.<key>`, and the guide lists some keys
 * under that name, so either spelling finds the entry.
 */
export function zooKeeperKeyEntry(
  key: string,
): { name: string; treatment: KeyTreatment } | undefined {
  const candidates = [patternOf(key)];
  if (key.startsWith('zookeeper.')) candidates.push(patternOf(key.slice('zookeeper.'.length)));
  else candidates.push(`zookeeper.${key}`);
  for (const name of candidates) {
    if (Object.hasOwn(zooKeeperKeyTable, name)) {
      return { name, treatment: zooKeeperKeyTable[name]! };
    }
  }
  return undefined;
}

/** Why `key=value` stops startup, or undefined when the table does not refuse it. */
export function refusedZooKeeperKey(key: string, value: string): string | undefined {
  const treatment = zooKeeperKeyEntry(key)?.treatment;
  if (treatment?.kind !== 'refused') return undefined;
  if (treatment.accepts.includes(value.trim().toLowerCase())) return undefined;
  const accepted = treatment.accepts.length === 0
    ? ''
    : ` (corral accepts only ${treatment.accepts.join(' or ')})`;
  return `${treatment.why}: not provided by corral${accepted}`;
}

/**
 * Why corral accepts `key=value` without acting on it: an equivalent key, or a refused key's
 * value that asks for nothing corral lacks. Undefined for any other key.
 */
export function equivalentZooKeeperKey(key: string, value: string): string | undefined {
  const treatment = zooKeeperKeyEntry(key)?.treatment;
  if (treatment?.kind === 'equivalent') return treatment.why;
  if (treatment?.kind === 'refused' && refusedZooKeeperKey(key, value) === undefined) {
    return `${value.trim()} is what corral does (${treatment.why})`;
  }
  return undefined;
}

/**
 * A key that differs from a known key only in case: a typo ZooKeeper would turn into a system
 * property nobody reads. It is refused, naming the key meant, so that `skipAcl` or `forcesync`
 * cannot pass for what they look like. `knownKeys` adds corral's own keys to the guide's.
 */
export function caseTypoOf(key: string, knownKeys: Iterable<string>): string | undefined {
  const names = [patternOf(key)];
  if (key.startsWith('zookeeper.')) names.push(patternOf(key.slice('zookeeper.'.length)));
  const known = [...Object.keys(zooKeeperKeyTable), ...knownKeys];
  for (const name of names) {
    const meant = known.find((each) => each !== name && each.toLowerCase() === name.toLowerCase());
    if (meant !== undefined) return meant;
  }
  return undefined;
}

/**
 * A key no part of parseZooCfg reads: refused when the table or a case typo says so; otherwise
 * why corral needs to do nothing for it (the table's equivalents), or undefined for a key the
 * guide does not list (ignored: ZooKeeper too would only make it a system property nobody reads).
 * `ownKeys` are the keys config.ts reads, for the typo check.
 */
export function unreadKey(
  key: string,
  value: string,
  where: string,
  ownKeys: Iterable<string>,
): string | undefined {
  const refusal = refusedZooKeeperKey(key, value);
  if (refusal !== undefined) {
    throw new ConfigError(`${key}=${value} (${where}) is refused: ${refusal}`, key);
  }
  const equivalent = equivalentZooKeeperKey(key, value);
  if (equivalent !== undefined) return equivalent;
  const meant = caseTypoOf(key, ownKeys);
  if (meant !== undefined) {
    throw new ConfigError(`unknown key ${key} (${where}): did you mean ${meant}? (keys are ` +
      'case-sensitive; ZooKeeper would not read it either)', key);
  }
  return undefined;
}
