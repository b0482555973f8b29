// zoo.cfg's group.N / weight.N lines (ZooKeeper's hierarchical quorums) through the real
// parseZooCfg and resolveConfig: the rule a replica counts with, the configs refused (each
// ConfigError naming its key), and the lines /zookeeper/config and `conf` print for them.
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  parseZooCfg,
  resolveConfig,
  type ServerConfig,
} from '../../../actors/config/config.js';
import { ensembleConfigText } from '../../../actors/config/ensemble.js';
import { quorumRuleOfConfig } from '../../../actors/config/quorum-groups.js';
import { containsQuorum, describeQuorumRule } from '../../../machines/quorum.js';

const quiet = { info: () => undefined, warn: () => undefined };

function serverLines(count: number, observers: readonly number[] = []): string[] {
  return Array.from({ length: count }, (_, index) => {
    const id = index + 1;
    const role = observers.includes(id) ? ':observer' : '';
    return `server.${id}=127.0.0.1:${2880 + id}:${3880 + id}${role}`;
  });
}

function resolve(lines: readonly string[]): ServerConfig {
  const text = ['dataDir=/tmp/corral-groups', 'clientPort=2181', ...lines].join('\n');
  const partial = parseZooCfg(text, 'zoo.cfg').config;
  return resolveConfig(partial, { log: quiet });
}

function refusal(lines: readonly string[]): [string | undefined, string] {
  try {
    resolve(lines);
  } catch (error) {
    if (error instanceof ConfigError) return [error.key, error.message];
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const ruleOf = (config: ServerConfig) =>
  quorumRuleOfConfig(config.servers, config.quorumHierarchy);

describe('group./weight. lines become the replica\'s quorum rule', () => {
  it.each([
    ['no lines: a majority of the participants', serverLines(4, [4]), 'majority of 1,2,3'],
    [
      'ZooKeeper\'s three groups of three, weights defaulted to 1',
      [...serverLines(9), 'group.1=1:2:3', 'group.2=4:5:6', 'group.3=7:8:9'],
      'groups 1:2:3|4:5:6|7:8:9 weights 1=1,2=1,3=1,4=1,5=1,6=1,7=1,8=1,9=1',
    ],
    [
      'one weighted group, a weight-0 server, an observer outside the groups',
      [...serverLines(4, [4]), 'group.1=1:2:3', 'weight.1=3', 'weight.3=0'],
      'groups 1:2:3 weights 1=3,2=1,3=0',
    ],
    [
      'group.01 is group 1, members may carry spaces, later weight wins',
      [...serverLines(3), 'group.01=1 : 2', 'group.2=3', 'weight.2=2', 'weight.2=5'],
      'groups 1:2|3 weights 1=1,2=5,3=1',
    ],
  ])('%s', (_case, lines, described) => {
    expect(describeQuorumRule(ruleOf(resolve(lines)))).toBe(described);
  });

  it('counts as ZooKeeper does: replica 1 weighs 3 of 5, so it alone is a quorum', () => {
    const rule = ruleOf(resolve([...serverLines(3), 'group.1=1:2:3', 'weight.1=3']));
    expect(containsQuorum(rule, [1])).toBe(true);
    expect(containsQuorum(rule, [2, 3])).toBe(false);
  });
});

describe('configs ZooKeeper refuses (or crashes on, or runs surprisingly) stop startup', () => {
  it.each([
    [
      'a server in two groups (QuorumHierarchical: "is in multiple groups")',
      [...serverLines(3), 'group.1=1:2', 'group.2=2:3'],
      'group.2', 'server 2 is already in group.1',
    ],
    [
      'a server listed twice in one group',
      [...serverLines(3), 'group.1=1:2:2', 'group.2=3'],
      'group.1', 'server 2 is listed twice',
    ],
    [
      'a participant in no group (QuorumHierarchical: "is not in a group")',
      [...serverLines(3), 'group.1=1:2'],
      'server.3', 'every participant must be in a group',
    ],
    [
      'weights without groups (every participant is then in no group)',
      [...serverLines(3), 'weight.1=2'],
      'server.1', 'weight.N lines need group.N lines',
    ],
    [
      'a weight for a server without a server line',
      [...serverLines(3), 'group.1=1:2:3', 'weight.7=2'],
      'weight.7', 'server 7 has no server.7 line',
    ],
    [
      'a group naming a server without a server line (ZooKeeper: NullPointerException)',
      [...serverLines(3), 'group.1=1:2:3', 'group.2=9'],
      'group.2', 'server 9 has no server.9 line',
    ],
    [
      'an observer in a group (it could never ACK, yet would weigh in its group)',
      [...serverLines(4, [4]), 'group.1=1:2:3:4'],
      'group.1', 'server.4 is an observer',
    ],
    [
      'a weight for an observer',
      [...serverLines(4, [4]), 'group.1=1:2:3', 'weight.4=1'],
      'weight.4', 'server.4 is an observer',
    ],
    [
      'every group weighing 0 (no quorum could ever form)',
      [...serverLines(2), 'group.1=1', 'group.2=2', 'weight.1=0', 'weight.2=0'],
      'group.1', 'every group weighs 0',
    ],
    ['a negative weight', [...serverLines(3), 'group.1=1:2:3', 'weight.1=-1'], 'weight.1',
      'invalid weight.1 "-1": expected a non-negative integer weight'],
    ['a weight that is no number', [...serverLines(3), 'group.1=1:2:3', 'weight.2=heavy'],
      'weight.2', 'expected a non-negative integer weight'],
    ['an empty group', [...serverLines(3), 'group.1=1:2:3', 'group.2='], 'group.2',
      'expected a positive server id'],
    ['a group id that is no number', [...serverLines(3), 'group.one=1:2:3'], 'group.one',
      'expected a group id'],
    ['a weight key that names no server id', [...serverLines(3), 'group.1=1:2:3', 'weight.x=1'],
      'weight.x', 'expected a positive server id'],
    ['group.1 and group.01 both given', [...serverLines(3), 'group.1=1:2', 'group.01=3'],
      'group.01', 'group.1 already names group.1'],
  ])('%s', (_case, lines, key, message) => {
    const [refusedKey, refusedMessage] = refusal(lines);
    expect(refusedKey).toBe(key);
    expect(refusedMessage).toContain(message);
  });
});

describe('the lines QuorumHierarchical.toString adds (/zookeeper/config, conf)', () => {
  it('writes server lines, group lines, every grouped server\'s weight, then the version', () => {
    const config = resolve([
      ...serverLines(4, [4]), 'group.2=3', 'group.1=2:1', 'weight.1=3', 'weight.3=0',
    ]);
    expect(ensembleConfigText(config.servers, 0, config.quorumHierarchy)).toBe(
      'server.1=127.0.0.1:2881:3881:participant\n' +
        'server.2=127.0.0.1:2882:3882:participant\n' +
        'server.3=127.0.0.1:2883:3883:participant\n' +
        'server.4=127.0.0.1:2884:3884:observer\n' +
        'group.1=1:2\ngroup.2=3\n' +
        'weight.1=3\nweight.2=1\nweight.3=0\n' +
        'version=0',
    );
  });
});
