// The quorum SASL keys (ZooKeeper's QuorumAuth: `quorum.auth.enableSasl`, `learnerRequireSasl`,
// `serverRequireSasl` and the two login context names), ZooKeeper's rules between them
// (QuorumPeerConfig), and the credentials their JAAS sections hold: QuorumServer's
// `user_NAME="password"` entries and QuorumLearner's `username` / `password`, DigestLoginModule
// only — a Kerberos login module asks for GSSAPI, which corral does not provide.
import { readJaasFile } from './jaas.js';
import { parseJaasConfig, type JaasLoginModule } from '../../protocol/config/jaas.js';
import { ConfigError, valueParsers, type ValueParser } from '../../protocol/config/values.js';

export interface QuorumSaslCredentials {
  /** Who may dial this replica: the QuorumServer section's users. */
  users: ReadonlyMap<string, string>;
  /** Who this replica is when it dials: the QuorumLearner section's username and password. */
  learner: { username: string; password: string };
}

export interface QuorumSaslConfig {
  /** quorum.auth.enableSasl: this replica speaks quorum SASL (DIGEST-MD5) on its peer links. */
  quorumSaslEnabled: boolean;
  /** quorum.auth.serverRequireSasl: a dialer that does not authenticate is refused. */
  quorumServerRequireSasl: boolean;
  /** quorum.auth.learnerRequireSasl: an acceptor that does not complete SASL is dropped. */
  quorumLearnerRequireSasl: boolean;
  /** quorum.auth.server.saslLoginContext: the JAAS section of the users who may dial us. */
  quorumServerLoginContext: string;
  /** quorum.auth.learner.saslLoginContext: the JAAS section of our own credentials. */
  quorumLearnerLoginContext: string;
  /** Read from the JAAS file (jaasLoginConfig) when quorum SASL is enabled. */
  quorumSaslCredentials: QuorumSaslCredentials | undefined;
}

export const quorumSaslDefaults = {
  quorumSaslEnabled: false,
  quorumServerRequireSasl: false,
  quorumLearnerRequireSasl: false,
  quorumServerLoginContext: 'QuorumServer',
  quorumLearnerLoginContext: 'QuorumLearner',
  quorumSaslCredentials: undefined,
} as const satisfies QuorumSaslConfig;

/** The zoo.cfg rules for config.ts's key table. ZooKeeper reads these only under these names
 * (QuorumPeerConfig), never as `zookeeper.` system properties. */
export const quorumSaslKeyRules = {
  'quorum.auth.enableSasl': { field: 'quorumSaslEnabled', parse: valueParsers.boolean },
  'quorum.auth.serverRequireSasl': {
    field: 'quorumServerRequireSasl', parse: valueParsers.boolean },
  'quorum.auth.learnerRequireSasl': {
    field: 'quorumLearnerRequireSasl', parse: valueParsers.boolean },
  'quorum.auth.server.saslLoginContext': {
    field: 'quorumServerLoginContext', parse: valueParsers.text },
  'quorum.auth.learner.saslLoginContext': {
    field: 'quorumLearnerLoginContext', parse: valueParsers.text },
} as const satisfies Record<string, { field: keyof QuorumSaslConfig; parse: ValueParser }>;

/** ZooKeeper's QuorumPeerConfig rules between the three switches, each naming the key. */
export function checkQuorumSasl(config: Partial<QuorumSaslConfig>, jaasFile: string | undefined) {
  const enabled = config.quorumSaslEnabled === true;
  for (const [field, key] of [
    ['quorumServerRequireSasl', 'quorum.auth.serverRequireSasl'],
    ['quorumLearnerRequireSasl', 'quorum.auth.learnerRequireSasl'],
  ] as const) {
    if (config[field] === true && !enabled) {
      throw new ConfigError(`quorum.auth.enableSasl is disabled, so cannot enable ${key}`, key);
    }
  }
  // A replica that requires SASL of its dialers but does not authenticate when it dials could
  // not join an ensemble of its own kind; ZooKeeper refuses the combination.
  if (config.quorumServerRequireSasl === true && config.quorumLearnerRequireSasl !== true) {
    throw new ConfigError('quorum.auth.learnerRequireSasl is disabled, so cannot enable ' +
      'quorum.auth.serverRequireSasl', 'quorum.auth.serverRequireSasl');
  }
  if (enabled && jaasFile === undefined) {
    throw new ConfigError('quorum.auth.enableSasl=true needs a JAAS file with the ' +
      'QuorumServer and QuorumLearner sections (jaasLoginConfig or --jaas)', 'jaasLoginConfig');
  }
}

const digestLoginModule = 'org.apache.zookeeper.server.auth.DigestLoginModule';

/** A section's modules, each a DigestLoginModule; the key names the login context setting. */
function digestSection(
  sections: ReadonlyMap<string, JaasLoginModule[]>,
  name: string,
  source: string,
  key: string,
): JaasLoginModule[] {
  const modules = sections.get(name);
  if (modules === undefined || modules.length === 0) {
    throw new ConfigError(`JAAS file ${source} has no "${name}" section for quorum SASL (${key})`,
      key);
  }
  for (const module of modules) {
    if (module.className !== digestLoginModule) {
      throw new ConfigError(`JAAS section "${name}" in ${source} uses ${module.className}: ` +
        `quorum SASL in corral is DIGEST-MD5 (${digestLoginModule}); Kerberos (GSSAPI) is not ` +
        'provided', key);
    }
  }
  return modules;
}

/** The quorum credentials out of a JAAS file's text (pure; loadQuorumSaslCredentials reads it). */
export function quorumSaslCredentialsFromJaas(
  text: string,
  source: string,
  config: Pick<QuorumSaslConfig, 'quorumServerLoginContext' | 'quorumLearnerLoginContext'>,
): QuorumSaslCredentials {
  const sections = parseJaasConfig(text, source);
  const serverKey = 'quorum.auth.server.saslLoginContext';
  const users = new Map<string, string>();
  const serverModules = digestSection(sections, config.quorumServerLoginContext, source, serverKey);
  for (const module of serverModules) {
    for (const [option, value] of module.options) {
      if (option.startsWith('user_')) users.set(option.slice('user_'.length), value);
    }
  }
  const learnerKey = 'quorum.auth.learner.saslLoginContext';
  const learnerModules = digestSection(sections, config.quorumLearnerLoginContext, source,
    learnerKey);
  // As DigestLoginModule: the first username and password options of the section.
  const username = learnerModules.map((module) => module.options.get('username'))
    .find((value) => value !== undefined);
  const password = learnerModules.map((module) => module.options.get('password'))
    .find((value) => value !== undefined);
  if (username === undefined || password === undefined) {
    throw new ConfigError(`JAAS section "${config.quorumLearnerLoginContext}" in ${source} ` +
      'needs username="..." and password="..." for quorum SASL', learnerKey);
  }
  return { users, learner: { username, password } };
}

/**
 * Reads the JAAS file for quorum SASL; an unreadable file is a ConfigError naming it. Also says
 * which sections the file has: one holding only the quorum sections is complete, as in ZooKeeper.
 */
export function loadQuorumSaslCredentials(
  path: string,
  config: Pick<QuorumSaslConfig, 'quorumServerLoginContext' | 'quorumLearnerLoginContext'>,
): { credentials: QuorumSaslCredentials; sectionNames: string[] } {
  const text = readJaasFile(path);
  const sectionNames = [...parseJaasConfig(text, path).keys()];
  return { credentials: quorumSaslCredentialsFromJaas(text, path, config), sectionNames };
}
