// Reads a JAAS login configuration file from disk (the parser, protocol/config/jaas.ts, is pure):
// an unreadable file stops startup with a ConfigError naming it.
import { readFileSync } from 'node:fs';
import { jaasServerUsers } from '../../protocol/config/jaas.js';
import { ConfigError } from '../../protocol/config/values.js';

/** A JAAS file's text; an unreadable file is a ConfigError naming it. */
export function readJaasFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`cannot read JAAS file ${path}: ${reason}`, 'jaasLoginConfig');
  }
}

/** The SASL users of one section of a JAAS file on disk (ZooKeeper's `Server` by default). */
export function loadJaasServerUsers(path: string, sectionName = 'Server'): Map<string, string> {
  return jaasServerUsers(readJaasFile(path), path, sectionName);
}
