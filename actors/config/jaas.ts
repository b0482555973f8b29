// Reads a JAAS login configuration file from disk (the parser, protocol/config/jaas.ts, is pure):
// an unreadable file stops startup with a ConfigError naming it.
import { readFileSync } from 'node:fs';
import { jaasServerUsers } from '../../protocol/config/jaas.js';
import { ConfigError } from '../../protocol/config/values.js';

/** Reads a JAAS file from disk; an unreadable file is a ConfigError naming it. */
export function loadJaasServerUsers(path: string, sectionName = 'Server'): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new ConfigError(`cannot read JAAS file ${path}: ${reason}`, 'jaasLoginConfig');
  }
  return jaasServerUsers(text, path, sectionName);
}
