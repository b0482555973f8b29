// zkCli's commands on znodes and the session: ls, get, set, create, delete, deleteall, stat,
// sync, getEphemerals, getAllChildrenNumber, whoami, addauth, close and version — each with
// zkCli 3.8's flags, output and error words.

import type { CreateMode } from '../../client/index.js';
import { parseJavaLong } from '../../tree/stats-track.js';
import { corralVersion } from '../package-root.js';
import {
  checkPath,
  flag,
  listSubtree,
  toCliError,
  usageOf,
  visitSubtree,
  zk,
  type CommandContext,
  type ShellCommand,
} from './command.js';
import { formatStat, javaList, parseAcl } from './formatting.js';
import { CliError, parseFlags, parseJavaInt, type ParsedLine } from './parser.js';
import { ZooKeeperError } from '../../protocol/errors.js';

/**
 * `cmd path [watch]`, the 3.4 form ls, get and stat still accept: the third word is taken for
 * `-w` and the line parsed again, with the deprecation note zkCli prints.
 */
function legacyWatch(command: ShellCommand, context: CommandContext, parsed: ParsedLine,
  words: string[], form: string): ParsedLine {
  if (parsed.args.length <= 2) return parsed;
  context.err(`'${command.name} path [watch]' has been deprecated. Please use '${form}' instead.`);
  const rewritten = [...words];
  rewritten[2] = '-w';
  return parseFlags(rewritten, command.options, command.group);
}

const ls: ShellCommand = {
  name: 'ls',
  optionText: '[-s] [-w] [-R] path',
  options: [flag('?', 'help'), flag('s', 'stat'), flag('w', 'watch'), flag('R', 'recurse')],
  wordsMin: 1,
  async run(context, first, words) {
    const parsed = legacyWatch(ls, context, first, words, 'ls [-w] path');
    const path = parsed.args[1];
    if (path === undefined) throw new CliError(usageOf(ls));
    const watch = parsed.flags.has('w') ? context.watcher : undefined;
    if (parsed.flags.has('R')) {
      await visitSubtree(context.client, path, watch, (node) => context.out(node));
      return;
    }
    checkPath(path);
    const options = watch === undefined ? {} : { watch };
    const result = parsed.flags.has('s')
      ? await zk(context.client.getChildren2(path, options), path)
      : { children: await zk(context.client.getChildren(path, options), path), stat: undefined };
    context.out(javaList([...result.children].sort()));
    if (result.stat !== undefined) formatStat(result.stat).forEach(context.out);
  },
};

const get: ShellCommand = {
  name: 'get',
  optionText: '[-s] [-w] path',
  options: [flag('s', 'stats'), flag('w', 'watch')],
  wordsMin: 2,
  async run(context, first, words) {
    const parsed = legacyWatch(get, context, first, words, 'get [-s] [-w] path');
    const path = parsed.args[1] as string;
    checkPath(path);
    const watch = parsed.flags.has('w') ? context.watcher : undefined;
    const result = await zk(context.client.getData(path, watch === undefined ? {} : { watch }),
      path);
    context.out(result.data === null ? 'null' : result.data.toString('utf8'));
    if (parsed.flags.has('s')) formatStat(result.stat).forEach(context.out);
  },
};

const set: ShellCommand = {
  name: 'set',
  optionText: '[-s] [-v version] path data',
  options: [flag('s', 'stats'), flag('v', 'version', true)],
  wordsMin: 3,
  async run(context, parsed) {
    const [, path = '', data = ''] = parsed.args;
    const versionText = parsed.flags.get('v');
    const version = versionText === undefined ? -1 : parseJavaInt(versionText);
    checkPath(path);
    const stat = await zk(context.client.setData(path, Buffer.from(data, 'utf8'), version), path);
    if (parsed.flags.has('s')) formatStat(stat).forEach(context.out);
  },
};

/** EphemeralType.MAX_TTL: a TTL must fit the 40 bits the ephemeral owner keeps for it. */
const ttlMsMax = 0xff_ffff_ffffn;

function createMode(parsed: ParsedLine): { mode: CreateMode; ttlMs?: number } {
  const [ephemeral, sequential, container, ttl] = ['e', 's', 'c', 't'].map((name) =>
    parsed.flags.has(name));
  if (container === true && (ephemeral === true || sequential === true)) {
    throw new CliError('-c cannot be combined with -s or -e. Containers cannot be ephemeral ' +
      'or sequential.');
  }
  const ttlMs = ttl === true ? parseJavaLong(parsed.flags.get('t') ?? '') : 0n;
  if (ttlMs === undefined) throw new CliError('-t argument must be a long value');
  if (ttl === true && ephemeral === true) {
    throw new CliError('TTLs cannot be used with Ephemeral znodes');
  }
  if (ttl === true && container === true) {
    throw new CliError('TTLs cannot be used with Container znodes');
  }
  if (ttl === true && (ttlMs <= 0n || ttlMs > ttlMsMax)) {
    throw new CliError(`ttl must be positive and cannot be larger than: ${ttlMsMax}`);
  }
  if (ephemeral === true) {
    return { mode: sequential === true ? 'ephemeralSequential' : 'ephemeral' };
  }
  if (sequential === true) {
    return ttl === true
      ? { mode: 'persistentSequentialWithTtl', ttlMs: Number(ttlMs) }
      : { mode: 'persistentSequential' };
  }
  if (container === true) return { mode: 'container' };
  return ttl === true
    ? { mode: 'persistentWithTtl', ttlMs: Number(ttlMs) }
    : { mode: 'persistent' };
}

const create: ShellCommand = {
  name: 'create',
  optionText: '[-s] [-e] [-c] [-t ttl] path [data] [acl]',
  options: [flag('e', 'ephemeral'), flag('s', 'sequential'), flag('c', 'container'),
    flag('t', 'ttl', true)],
  wordsMin: 2,
  async run(context, parsed) {
    const [, path = '', data, aclText] = parsed.args;
    const { mode, ttlMs } = createMode(parsed);
    const acl = aclText === undefined ? undefined : parseAcl(aclText, context.err);
    checkPath(path, mode.toLowerCase().includes('sequential'));
    const options = {
      mode,
      ...(ttlMs === undefined ? {} : { ttlMs }),
      ...(acl === undefined ? {} : { acl }),
    };
    const created = await zk(
      context.client.create(path, data === undefined ? null : Buffer.from(data, 'utf8'), options),
      path,
    );
    context.err(`Created ${created.path}`);
  },
};

const deleteCommand: ShellCommand = {
  name: 'delete',
  optionText: '[-v version] path',
  options: [flag('v', 'version', true)],
  wordsMin: 2,
  async run(context, parsed) {
    if (parsed.args.length > 2) {
      context.err("'delete path [version]' has been deprecated. " +
        "Please use 'delete [-v version] path' instead.");
    }
    const path = parsed.args[1] as string;
    const versionText = parsed.flags.get('v');
    const version = versionText === undefined ? -1 : parseJavaInt(versionText);
    checkPath(path);
    await zk(context.client.delete(path, version), path);
  },
};

const deleteAll: ShellCommand = {
  name: 'deleteall',
  optionText: 'path [-b batch size]',
  options: [flag('b', 'batch size', true)],
  wordsMin: 2,
  async run(context, parsed) {
    const batchText = parsed.flags.get('b');
    let batchSize = 1000;
    try {
      if (batchText !== undefined) batchSize = parseJavaInt(batchText);
    } catch {
      throw new CliError('-b argument must be an int value');
    }
    const path = parsed.args[1] as string;
    checkPath(path);
    const tree = await listSubtree(context.client, path);
    // Leaves first, in multis of batchSize (all in one when it is not positive), as ZKUtil.
    const ops = tree.reverse().map((node) => ({ kind: 'delete', path: node }) as const);
    const size = batchSize > 0 ? batchSize : ops.length;
    for (let start = 0; start < ops.length; start += size) {
      try {
        await context.client.multi(ops.slice(start, start + size));
      } catch (error) {
        if (!(error instanceof ZooKeeperError)) throw toCliError(error, path);
        context.err('Failed to delete some node(s) in the subtree!');
        return;
      }
    }
  },
};

const stat: ShellCommand = {
  name: 'stat',
  optionText: '[-w] path',
  options: [flag('w', 'watch')],
  wordsMin: 2,
  async run(context, first, words) {
    const parsed = legacyWatch(stat, context, first, words, 'stat [-w] path');
    const path = parsed.args[1] as string;
    checkPath(path);
    const watch = parsed.flags.has('w') ? context.watcher : undefined;
    const result = await zk(context.client.exists(path, watch === undefined ? {} : { watch }),
      path);
    if (result === null) throw new CliError(`Node does not exist: ${path}`);
    formatStat(result).forEach(context.out);
  },
};

const sync: ShellCommand = {
  name: 'sync',
  optionText: 'path',
  options: [],
  wordsMin: 2,
  async run(context, parsed) {
    const path = parsed.args[1] as string;
    checkPath(path);
    try {
      await context.client.sync(path);
      context.out('Sync is OK');
    } catch (error) {
      if (!(error instanceof ZooKeeperError)) throw toCliError(error, path);
      context.out(`Sync has failed. rc=${error.code}`);
    }
  },
};

const getEphemerals: ShellCommand = {
  name: 'getEphemerals',
  optionText: 'path',
  options: [],
  wordsMin: 1,
  async run(context, parsed) {
    const path = parsed.args[1] ?? '/';
    checkPath(path);
    context.out(javaList(await zk(context.client.getEphemerals(path), path)));
  },
};

const getAllChildrenNumber: ShellCommand = {
  name: 'getAllChildrenNumber',
  optionText: 'path',
  options: [],
  wordsMin: 2,
  async run(context, parsed) {
    const path = parsed.args[1] as string;
    checkPath(path);
    context.out(String(await zk(context.client.getAllChildrenNumber(path), path)));
  },
};

const whoami: ShellCommand = {
  name: 'whoami',
  optionText: '',
  options: [],
  wordsMin: 1,
  unparsed: true,
  async run(context) {
    const entries = await zk(context.client.whoAmI());
    context.out('Auth scheme: User');
    for (const entry of entries) context.out(`${entry.authScheme}: ${entry.user}`);
  },
};

const addauth: ShellCommand = {
  name: 'addauth',
  optionText: 'scheme auth',
  options: [],
  wordsMin: 2,
  async run(context, parsed) {
    const [, scheme = '', auth = ''] = parsed.args;
    // zkCli's addAuthInfo does not wait: a refusal shows as an AuthFailed event, not an error.
    await context.client.addAuth(scheme, Buffer.from(auth, 'utf8')).catch(() => undefined);
  },
};

const close: ShellCommand = {
  name: 'close',
  optionText: '',
  options: [],
  wordsMin: 1,
  unparsed: true,
  async run(context) {
    await zk(context.client.close());
  },
};

const version: ShellCommand = {
  name: 'version',
  optionText: '',
  options: [],
  wordsMin: 1,
  async run(context, parsed) {
    if (parsed.args.length > 1) throw new CliError(usageOf(version));
    context.out(`ZooKeeper CLI version: corral ${corralVersion()}`);
  },
};

export const dataCommands: ShellCommand[] = [
  ls, get, set, create, deleteCommand, deleteAll, stat, sync, getEphemerals,
  getAllChildrenNumber, whoami, addauth, close, version,
];
