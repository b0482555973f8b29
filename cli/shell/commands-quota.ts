// zkCli's quota commands (setquota, listquota, delquota): a quota on P is the node
// /zookeeper/quota/P/zookeeper_limits beside its zookeeper_stats, both holding StatsTrack text;
// the server keeps the stats up to date, the shell creates, edits and trims these nodes as
// zkCli does, with its checks and messages.

import type { Client } from '../../client/index.js';
import { formatStats, parseJavaLong, parseStats, type Stats } from '../../tree/stats-track.js';
import {
  checkPath,
  childPath,
  flag,
  isNoNode,
  visitSubtree,
  zk,
  type CommandContext,
  type ShellCommand,
} from './command.js';
import { CliError } from './parser.js';
import { ErrorCode, ZooKeeperError } from '../../protocol/errors.js';

const quotaRoot = '/zookeeper/quota';
const limitNode = 'zookeeper_limits';
const statNode = 'zookeeper_stats';
const limitPath = (path: string): string => `${quotaRoot}${path}/${limitNode}`;
const statPath = (path: string): string => `${quotaRoot}${path}/${statNode}`;

/** StatsTrack's keys, by the flag that sets each. */
const keyByFlag: Record<string, string> = {
  n: 'count', b: 'bytes', N: 'countHardLimit', B: 'byteHardLimit',
};

async function readStats(client: Client, path: string): Promise<Stats> {
  const { data } = await client.getData(path);
  return parseStats(data) ?? new Map();
}

/** The limits asked for: -1 where not given; a bad value is reported and stops the command. */
function requestedLimits(context: CommandContext, flags: Map<string, string>): Stats | undefined {
  const stats: Stats = new Map(Object.values(keyByFlag).map((key) => [key, -1n]));
  for (const [name, key] of Object.entries(keyByFlag)) {
    const text = flags.get(name);
    if (text === undefined) continue;
    const isCount = name === 'n' || name === 'N';
    const value = parseJavaLong(text);
    if (value === undefined || (isCount && (value < -(1n << 31n) || value >= 1n << 31n))) {
      context.err('NumberFormatException happens when parsing the option value');
      return undefined;
    }
    if (isCount ? value <= 0n : value < 0n) {
      context.err(isCount ? 'the num quota must be greater than zero'
        : 'the bytes quota must be greater than or equal to zero');
      return undefined;
    }
    stats.set(key, value);
  }
  return stats;
}

/** SetQuotaCommand's refusal of a quota above or below another one. */
async function checkNesting(client: Client, path: string): Promise<void> {
  try {
    await visitSubtree(client, `${quotaRoot}${path}`, undefined, async (node) => {
      const children: string[] = await client.getChildren(node).catch((error: unknown) => {
        if (isNoNode(error)) return [];
        throw error;
      });
      if (node !== `${quotaRoot}${path}` && children.includes(limitNode)) {
        throw new CliError(`${path} has a child ${node.slice(quotaRoot.length)} which has a quota`);
      }
    });
  } catch (error) {
    if (!(error instanceof CliError && error.message.startsWith('Node does not exist'))) {
      throw error;
    }
  }
  const segments = path.split('/').slice(1, -1);
  let node = quotaRoot;
  for (const segment of segments) {
    node = `${node}/${segment}`;
    let children: string[];
    try {
      children = await client.getChildren(node);
    } catch (error) {
      if (isNoNode(error)) return;
      throw error;
    }
    if (children.length === 0) return;
    if (children.includes(limitNode)) {
      throw new CliError(`${path} has a parent ${node.slice(quotaRoot.length)} which has a quota`);
    }
  }
}

async function createIfMissing(client: Client, path: string, data: Buffer | null): Promise<void> {
  if ((await client.exists(path)) !== null) return;
  await client.create(path, data).catch((error: unknown) => {
    if (!(error instanceof ZooKeeperError && error.code === ErrorCode.nodeExists)) throw error;
  });
}

function warnBelowUsage(context: CommandContext, limits: Stats, usage: Stats): void {
  const value = (stats: Stats, key: string): bigint => stats.get(key) ?? -1n;
  const below = (limit: bigint, used: bigint): boolean => limit > -1n && limit < used;
  const count = value(usage, 'count');
  if (below(value(limits, 'count'), count) || below(value(limits, 'countHardLimit'), count)) {
    context.out(`[Warning]: the count quota you create is less than the existing count:${count}`);
  }
  const bytes = value(usage, 'bytes');
  if (below(value(limits, 'bytes'), bytes) || below(value(limits, 'byteHardLimit'), bytes)) {
    context.out(`[Warning]: the bytes quota you create is less than the existing bytes:${bytes}`);
  }
}

async function createQuota(context: CommandContext, path: string, quota: Stats): Promise<void> {
  const client = context.client;
  checkPath(path);
  if ((await client.exists(path)) === null) throw new CliError(`${path} does not exist.`);
  await checkNesting(client, path);
  await createIfMissing(client, '/zookeeper', null);
  await createIfMissing(client, quotaRoot, null);
  let node = quotaRoot;
  for (const segment of path.split('/').slice(1)) {
    node = `${node}/${segment}`;
    await createIfMissing(client, node, null);
  }
  if ((await client.exists(limitPath(path))) === null) {
    await client.create(limitPath(path), formatStats(quota));
    await client.create(statPath(path), formatStats(new Map([['count', 0n], ['bytes', 0n]])));
    warnBelowUsage(context, await readStats(client, limitPath(path)),
      await readStats(client, statPath(path)));
    return;
  }
  const limits = await readStats(client, limitPath(path));
  for (const [key, value] of quota) if (value > -1n) limits.set(key, value);
  warnBelowUsage(context, limits, await readStats(client, statPath(path)));
  await client.setData(limitPath(path), formatStats(limits));
}

const quotaFlags = (takesValue: boolean) => [
  flag('n', 'num soft quota', takesValue), flag('b', 'bytes soft quota', takesValue),
  flag('N', 'num hard quota', takesValue), flag('B', 'bytes hard quota', takesValue),
];

const setQuota: ShellCommand = {
  name: 'setquota',
  optionText: '-n|-b|-N|-B val path',
  options: quotaFlags(true),
  group: { names: ['n', 'b', 'N', 'B'], required: true },
  wordsMin: 2,
  async run(context, parsed) {
    const path = parsed.args[1] as string;
    if (path.startsWith(quotaRoot)) {
      context.err(`cannot set a quota under the path: ${quotaRoot}`);
      return;
    }
    const quota = requestedLimits(context, parsed.flags);
    if (quota === undefined) return;
    await zk(createQuota(context, path, quota), path);
  },
};

const listQuota: ShellCommand = {
  name: 'listquota',
  optionText: 'path',
  options: [],
  wordsMin: 2,
  async run(context, parsed) {
    const path = parsed.args[1] as string;
    context.err(`absolute path is ${limitPath(path)}`);
    checkPath(limitPath(path));
    try {
      const limits = await readStats(context.client, limitPath(path));
      const usage = await readStats(context.client, statPath(path));
      context.out(`Output quota for ${path} ${formatStats(limits).toString()}`);
      context.out(`Output stat for ${path} ${formatStats(usage).toString()}`);
    } catch (error) {
      if (!isNoNode(error)) await zk(Promise.reject(error), path);
      context.err(`quota for ${path} does not exist.`);
    }
  },
};

/** DelQuotaCommand.trimProcQuotas: empty quota nodes go, up to /zookeeper/quota. */
async function trimQuotaNodes(client: Client, start: string): Promise<void> {
  for (let node = start; node !== quotaRoot && node.startsWith(quotaRoot);) {
    if ((await client.getChildren(node)).length > 0) return;
    await client.delete(node);
    node = node.slice(0, node.lastIndexOf('/'));
  }
}

const delQuota: ShellCommand = {
  name: 'delquota',
  optionText: '[-n|-b|-N|-B] path',
  options: quotaFlags(false),
  group: { names: ['n', 'b', 'N', 'B'], required: false },
  wordsMin: 2,
  async run(context, parsed) {
    const path = parsed.args[1] as string;
    const client = context.client;
    try {
      checkPath(limitPath(path));
      if ((await client.exists(limitPath(path))) === null) {
        context.out(`Quota does not exist for ${path}`);
        return;
      }
      const limits = await readStats(client, limitPath(path));
      const chosen = Object.keys(keyByFlag).filter((name) => parsed.flags.has(name));
      if (chosen.length === 0) {
        const parent = `${quotaRoot}${path}`;
        for (const child of await client.getChildren(parent)) {
          await client.delete(childPath(parent, child));
        }
        await trimQuotaNodes(client, parent);
        return;
      }
      for (const name of chosen) limits.set(keyByFlag[name] as string, -1n);
      await client.setData(limitPath(path), formatStats(limits));
    } catch (error) {
      if (!isNoNode(error)) await zk(Promise.reject(error), path);
      context.err(`quota for ${path} does not exist.`);
    }
  },
};

export const quotaCommands: ShellCommand[] = [setQuota, listQuota, delQuota];
