// sameMembers: two views of one membership that differ only in the addresses they give for the
// members are the same membership (a learner keeps its own addresses for its peers: the chaos
// proxy mesh, a NAT); any difference in members, roles, groups, weights or sites is not.
import { describe, expect, it } from 'vitest';
import { parseMembershipText, sameMembers } from '../../protocol/membership.js';

const line = (id: number, quorumPort: number, role = 'participant', host = '127.0.0.1') =>
  `server.${id}=${host}:${quorumPort}:${3887 + id}:${role};${host}:${2180 + id}`;

const view = (...lines: string[]) => parseMembershipText([...lines, 'version=0'].join('\n'));

const real = view(line(1, 2888), line(2, 2889), line(3, 2890), 'site.1=a', 'site.2=a', 'site.3=b');

describe('sameMembers', () => {
  it('is true for views that differ only in addresses (peers reached through proxies)', () => {
    const throughProxies = view(line(1, 40001, 'participant', '127.0.0.2'), line(2, 40002),
      line(3, 2890), 'site.1=a', 'site.2=a', 'site.3=b');
    expect(sameMembers(real, throughProxies)).toBe(true);
    expect(sameMembers(real, real)).toBe(true);
  });

  it.each([
    ['a member more (a spare joining)', view(line(1, 2888), line(2, 2889), line(3, 2890),
      line(4, 2891), 'site.1=a', 'site.2=a', 'site.3=b')],
    ['a member fewer', view(line(1, 2888), line(2, 2889), 'site.1=a', 'site.2=a')],
    ['another role', view(line(1, 2888), line(2, 2889), line(3, 2890, 'observer'), 'site.1=a',
      'site.2=a', 'site.3=b')],
    ['another site', view(line(1, 2888), line(2, 2889), line(3, 2890), 'site.1=a', 'site.2=b',
      'site.3=b')],
    ['groups', view(line(1, 2888), line(2, 2889), line(3, 2890), 'group.1=1:2', 'group.2=3',
      'site.1=a', 'site.2=a', 'site.3=b')],
  ])('is false for %s', (_, other) => {
    expect(sameMembers(real, other)).toBe(false);
    expect(sameMembers(other, real)).toBe(false);
  });
});
