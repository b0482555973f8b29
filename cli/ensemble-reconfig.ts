// What `corral ensemble --reconfig` adds: the super user's password (given, or generated once per
// data dir and kept there) and its digest for zoo.cfg, and the zkCli.sh lines that grow the
// ensemble by its spares and shrink it back, printed with the banner.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../actors/config/config.js';
import { directoryMode, fileMode } from '../storage/file-modes.js';
import {
  connectString,
  replicaLayouts,
  serverLine,
  siteLineOf,
  type EnsemblePlan,
} from './ensemble-layout.js';

/** Where a generated password is kept, so every start of one data dir uses the same. */
export const superPasswordFileName = 'super-password';
/** 18 random bytes: 24 base64url characters, nothing zkCli.sh's `addauth` would split. */
const generatedPasswordBytes = 18;
/** A password is one short line: anything longer is not one a user typed or we wrote. */
const superPasswordCharsMax = 256;

/**
 * DigestAuthenticationProvider.generateDigest("super:" + password): the id zoo.cfg's
 * `DigestAuthenticationProvider.superDigest` holds, `super:<base64 of its SHA-1>`.
 */
export function superDigestOf(password: string): string {
  const digest = createHash('sha1').update(`super:${password}`).digest('base64');
  return `super:${digest}`;
}

/** A password `addauth digest super:<password>` carries whole: no spaces, no control chars. */
export function checkSuperPassword(password: string, source: string, key: string): string {
  if (password.length === 0 || password.length > superPasswordCharsMax ||
    /[\s\p{Cc}]/u.test(password)) {
    throw new ConfigError(
      `invalid super password (${source}): expected 1-${superPasswordCharsMax} characters ` +
        'without spaces or control characters',
      key,
    );
  }
  return password;
}

export interface SuperPassword {
  password: string;
  /** How it was chosen, for the log line that says where to find it. */
  origin: 'flag' | 'stored' | 'generated';
  path: string;
}

/**
 * `--super-password`, else the one stored in `<data dir>/super-password`, else a new random one
 * stored there (0600, as every file corral writes under a data dir).
 */
export function resolveSuperPassword(
  given: string | undefined,
  dataDir: string,
): SuperPassword {
  const path = join(dataDir, superPasswordFileName);
  if (given !== undefined) {
    return { password: checkSuperPassword(given, '--super-password', '--super-password'),
      origin: 'flag', path };
  }
  if (existsSync(path)) {
    const stored = readFileSync(path, 'utf8').trim();
    return { password: checkSuperPassword(stored, path, '--super-password'), origin: 'stored',
      path };
  }
  const password = randomBytes(generatedPasswordBytes).toString('base64url');
  mkdirSync(dataDir, { recursive: true, mode: directoryMode });
  // 'wx': two ensembles started at once on one data dir must not each keep a different one.
  writeFileSync(path, `${password}\n`, { mode: fileMode, flag: 'wx' });
  return { password, origin: 'generated', path };
}

/**
 * The banner's lines on growing and shrinking, exactly as this layout needs them: the zkCli.sh
 * session as the super user, `reconfig -add` of every replica outside the membership `memberIds`
 * (the spares, or whichever a reconfig removed), and `reconfig -remove` of the spares.
 */
export function reconfigGuide(
  plan: EnsemblePlan,
  password: string,
  memberIds: readonly number[],
): string[] {
  const replicas = replicaLayouts(plan);
  const outside = replicas.filter((replica) => !memberIds.includes(replica.id));
  const spareIds = replicas.filter((replica) => replica.spare).map((replica) => replica.id);
  const lines = [
    'grow with reconfig -add, shrink back with reconfig -remove, as the super user:',
    `  zkCli.sh -server ${connectString(plan)}`,
    `  addauth digest super:${password}`,
  ];
  if (outside.length > 0) {
    // corral takes a joiner's site as a `site.N=NAME` entry beside its server line.
    const joining = outside.flatMap((replica) => [serverLine(plan, replica),
      ...siteLineOf(replica)]).join(',');
    lines.push(`  reconfig -add ${joining}`);
  }
  if (spareIds.length > 0) lines.push(`  reconfig -remove ${spareIds.join(',')}`);
  if (outside.length === 0 && spareIds.length === 0) {
    lines.push('  (start with --spares <count> for replicas ready for reconfig -add)');
  }
  return lines;
}

/** Says where the super user's password came from, and where a generated one is kept. */
export function superPasswordLine(superPassword: SuperPassword): string {
  switch (superPassword.origin) {
    case 'flag':
      return '[ensemble] reconfig enabled; super user password from --super-password';
    case 'stored':
      return `[ensemble] reconfig enabled; super user password read from ${superPassword.path}`;
    case 'generated':
      return '[ensemble] reconfig enabled; super user password generated into ' +
        superPassword.path;
  }
}
