// zkCli's commands on ACLs, watches and the ensemble's configuration: getAcl, setAcl, addWatch,
// removewatches, config and reconfig, with zkCli 3.8's flags, output and error words.

import { readFileSync } from 'node:fs';
import {
  checkPath,
  flag,
  usageOf,
  visitSubtree,
  zk,
  type CommandContext,
  type ShellCommand,
} from './command.js';
import { formatAcl, formatStat, keeperErrorMessage, parseAcl } from './formatting.js';
import { CliError, parseJavaInt } from './parser.js';
import { ZooKeeperError } from '../../protocol/errors.js';

const getAcl: ShellCommand = {
  name: 'getAcl',
  optionText: '[-s] path',
  options: [flag('s', 'stats')],
  wordsMin: 2,
  async run(context, parsed) {
    const path = parsed.args[1] as string;
    checkPath(path);
    const result = await zk(context.client.getACL(path), path);
    for (const entry of result.acl) context.out(formatAcl(entry));
    if (parsed.flags.has('s')) formatStat(result.stat).forEach(context.out);
  },
};

const setAcl: ShellCommand = {
  name: 'setAcl',
  optionText: '[-s] [-v version] [-R] path acl',
  options: [flag('s', 'stats'), flag('v', 'version', true), flag('R', 'recursive')],
  wordsMin: 3,
  async run(context, parsed) {
    const [, path = '', aclText = ''] = parsed.args;
    const acl = parseAcl(aclText, context.err);
    const versionText = parsed.flags.get('v');
    const version = versionText === undefined ? -1 : parseJavaInt(versionText);
    if (parsed.flags.has('R')) {
      await visitSubtree(context.client, path, undefined, async (node) => {
        // zkCli prints a failure's message without a line break and goes on.
        await context.client.setACL(node, acl, version).catch((error: unknown) => {
          if (!(error instanceof ZooKeeperError)) throw error;
          context.outPartial(keeperExceptionText(error, node));
        });
      });
      return;
    }
    checkPath(path);
    const stat = await zk(context.client.setACL(path, acl, version), path);
    if (parsed.flags.has('s')) formatStat(stat).forEach(context.out);
  },
};

/** KeeperException.getMessage for setAcl -R's per-node failures. */
function keeperExceptionText(error: ZooKeeperError, path: string): string {
  const names: Record<number, string> = { [-101]: 'NoNode', [-102]: 'NoAuth', [-103]: 'BadVersion',
    [-114]: 'InvalidACL' };
  return `KeeperErrorCode = ${names[error.code] ?? `Unknown error ${error.code}`} for ${path}`;
}

const addWatchModes = ['PERSISTENT', 'PERSISTENT_RECURSIVE'];

const addWatch: ShellCommand = {
  name: 'addWatch',
  optionText: `[-m mode] path # optional mode is one of [${addWatchModes.join(', ')}] - ` +
    'default is PERSISTENT_RECURSIVE',
  options: [flag('m', '', true)],
  wordsMin: 2,
  async run(context, parsed) {
    if (parsed.args.length !== 2) throw new CliError(usageOf(addWatch));
    const mode = (parsed.flags.get('m') ?? 'PERSISTENT_RECURSIVE').toUpperCase();
    if (!addWatchModes.includes(mode)) throw new CliError(usageOf(addWatch));
    const path = parsed.args[1] as string;
    checkPath(path);
    const recursive = mode === 'PERSISTENT_RECURSIVE';
    await zk(context.client.addWatch(path, context.watcher, { recursive }), path);
  },
};

const removeWatches: ShellCommand = {
  name: 'removewatches',
  optionText: 'path [-c|-d|-a] [-l]',
  options: [flag('c', 'child watcher type'), flag('d', 'data watcher type'),
    flag('a', 'any watcher type'), flag('l', 'remove locally when there is no server connection')],
  wordsMin: 2,
  async run(context, parsed) {
    const path = parsed.args[1] as string;
    const type = parsed.flags.has('c') ? 'children' : parsed.flags.has('d') ? 'data' : 'any';
    checkPath(path);
    // The client removes locally whenever the server cannot be asked, so -l needs no more.
    await zk(context.client.removeWatches(path, type), path);
  },
};

/** ConfigUtils.getClientConfigStr: the version, a space, the servers' client addresses. */
export function clientConfigText(text: string): string {
  let version = '';
  const addresses: [number, string][] = [];
  for (const line of text.split('\n')) {
    const equals = line.indexOf('=');
    if (equals === -1) continue;
    const key = line.slice(0, equals).trim();
    const value = line.slice(equals + 1).trim();
    if (key === 'version') version = value;
    if (!key.startsWith('server.')) continue;
    const client = value.split(';')[1];
    const address = client === undefined ? ''
      : client.includes(':') ? client.trim() : `0.0.0.0:${client.trim()}`;
    addresses.push([Number(key.slice('server.'.length)), address]);
  }
  // Java walks a hash table here; corral lists the servers by id.
  addresses.sort(([first], [second]) => first - second);
  return `${version} ${addresses.map(([, address]) => address).join(',')}`;
}

const config: ShellCommand = {
  name: 'config',
  optionText: '[-c] [-w] [-s]',
  options: [flag('s', 'stats'), flag('w', 'watch'), flag('c', 'client connection string')],
  wordsMin: 1,
  async run(context, parsed) {
    const result = parsed.flags.has('w') && context.client.chroot === ''
      ? await zk(context.client.getData('/zookeeper/config', { watch: context.watcher }))
      : await zk(context.client.getConfig().then(({ text, stat }) => ({ data: text, stat })));
    const text = result.data === null ? 'null' : result.data.toString();
    context.out(parsed.flags.has('c') ? clientConfigText(text) : text);
    if (parsed.flags.has('s')) formatStat(result.stat).forEach(context.out);
  },
};

const reconfigUsage = '[-s] [-v version] [[-file path] | ' +
  '[-members serverID=host:port1:port2;port3[,...]*]] | ' +
  '[-add serverId=host:port1:port2;port3[,...]]* [-remove serverId[,...]*]';

/** -file: the `server.N=` (and group/weight) lines of a dynamic config file, as members. */
function membersFromFile(file: string): string {
  try {
    const lines = readFileSync(file, 'utf8').split('\n').map((line) => line.trim());
    return lines.filter((line) => /^(server|group|weight)\.\d+\s*=/.test(line)).join(',');
  } catch (error) {
    throw new CliError(`Error processing ${file}${(error as Error).message}`);
  }
}

const reconfig: ShellCommand = {
  name: 'reconfig',
  optionText: reconfigUsage,
  options: [flag('s', 'stats'), flag('v', 'required current config version', true),
    flag('file', 'path of config file to parse for membership', true),
    flag('members', 'comma-separated list of config strings for non-incremental reconfig', true),
    flag('add', 'comma-separated list of config strings for new servers', true),
    flag('remove', 'comma-separated list of server IDs to remove', true)],
  wordsMin: 1,
  async run(context: CommandContext, parsed) {
    const has = (name: string): boolean => parsed.flags.has(name);
    if (!has('file') && !has('members') && !has('add') && !has('remove')) {
      throw new CliError(usageOf(reconfig));
    }
    const versionText = parsed.flags.get('v');
    const fromConfig = versionText === undefined ? -1n : parseHexLong(versionText);
    if ((has('file') || has('members')) && (has('add') || has('remove'))) {
      throw new CliError("Can't use -file or -members together with -add or -remove (mixing " +
        'incremental and non-incremental modes is not allowed)');
    }
    if (has('file') && has('members')) {
      throw new CliError("Can't use -file and -members together (conflicting non-incremental " +
        'modes)');
    }
    const lower = (name: string) => parsed.flags.get(name)?.toLowerCase();
    const file = parsed.flags.get('file');
    const newMembers = file === undefined ? lower('members') : membersFromFile(file);
    const change = {
      fromConfig,
      ...(lower('add') === undefined ? {} : { joining: lower('add') }),
      ...(lower('remove') === undefined ? {} : { leaving: lower('remove') }),
      ...(newMembers === undefined ? {} : { newMembers }),
    };
    // ZooKeeper's reconfig errors name no path.
    const result = await context.client.reconfig(change).catch((error: unknown) => {
      throw error instanceof ZooKeeperError
        ? new CliError(keeperErrorMessage(new ZooKeeperError(error.code)))
        : error;
    });
    context.out(`Committed new configuration:\n${result.text}`);
    if (has('s')) formatStat(result.stat).forEach(context.out);
  },
};

function parseHexLong(text: string): bigint {
  if (!/^[+-]?[0-9a-fA-F]+$/.test(text)) {
    throw new CliError('-v must be followed by a long (configuration version)');
  }
  const negative = text.startsWith('-');
  const value = BigInt(`0x${text.replace(/^[+-]/, '')}`) * (negative ? -1n : 1n);
  if (value < -(1n << 63n) || value >= 1n << 63n) {
    throw new CliError('-v must be followed by a long (configuration version)');
  }
  return value;
}

export const adminCommands: ShellCommand[] = [
  getAcl, setAcl, addWatch, removeWatches, config, reconfig,
];
