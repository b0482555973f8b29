// Sites in the membership the replicas agree on: /zookeeper/config's site.N lines (written and
// read back), a reconfig keeping the sites of the members it keeps (incremental and whole), and
// the peer codec carrying them in a reconfig txn and refusing a malformed sites map.
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../protocol/errors.js';
import {
  membershipText,
  parseMembershipText,
  resolveReconfig,
  type Membership,
  type ReconfigAsk,
} from '../../protocol/membership.js';
import { decodePeerMessage, encodePeerMessage } from '../../protocol/peer-codec.js';
import type { PeerMessage } from '../../protocol/peer.js';

const line = (id: number, role = 'participant') =>
  `server.${id}=127.0.0.1:${2887 + id}:${3887 + id}:${role};127.0.0.1:${2180 + id}`;

const current: Membership = parseMembershipText([line(1), line(2), line(3), line(4, 'observer'),
  'site.1=eu', 'site.2=eu', 'site.3=us', 'site.4=us', 'version=100000000'].join('\n'));

const ask = (fields: Partial<ReconfigAsk>): ReconfigAsk =>
  ({ joining: null, leaving: null, newMembers: null, ...fields });

describe('sites in /zookeeper/config', () => {
  it('writes site.N lines after the server lines, ids ascending, and reads them back', () => {
    const text = membershipText({ ...current, version: 0x100000000 });
    expect(text.split('\n').slice(4)).toEqual(['site.1=eu', 'site.2=eu', 'site.3=us',
      'site.4=us', 'version=100000000']);
    expect(parseMembershipText(text)).toEqual({ ...current, version: 0x100000000 });
  });

  it('a membership without sites has no site lines (ZooKeeper\'s text)', () => {
    const text = membershipText({ servers: current.servers, version: 0 });
    expect(text).not.toContain('site.');
    expect(parseMembershipText(text).sites).toBeUndefined();
  });

  it.each([
    ['a bad name', 'site.1=eu west', /invalid site\.1: expected a site name/],
    ['a site for no member', 'site.9=eu', /site\.9 names 9, not a member/],
  ])('refuses %s', (_, siteLine, message) => {
    expect(() => parseMembershipText([line(1), line(2), siteLine].join('\n'))).toThrow(message);
  });
});

describe('a reconfig keeps the sites of the members it keeps', () => {
  it.each([
    ['removing 3 drops its site only', ask({ leaving: '3' }), { 1: 'eu', 2: 'eu', 4: 'us' }],
    ['adding 5 without a site leaves it in none', ask({ joining: line(5) }),
      { 1: 'eu', 2: 'eu', 3: 'us', 4: 'us' }],
    ['adding 5 with a site.5 entry', ask({ joining: `${line(5)},site.5=ap` }),
      { 1: 'eu', 2: 'eu', 3: 'us', 4: 'us', 5: 'ap' }],
    ['a site.2 entry alone moves server 2', ask({ joining: 'site.2=us' }),
      { 1: 'eu', 2: 'us', 3: 'us', 4: 'us' }],
    ['a whole new membership takes its own site lines',
      ask({ newMembers: [line(1), line(2), line(3), 'site.3=ap'].join(',') }), { 3: 'ap' }],
  ])('%s', (_, request, sites) => {
    const result = resolveReconfig(current, request, false);
    if (!result.ok) throw new Error(result.why);
    expect(result.membership.sites).toEqual(sites);
  });

  it('a whole new membership without site lines has no sites', () => {
    const result = resolveReconfig(current, ask({ newMembers: [line(1), line(2)].join(',') }),
      false);
    expect(result.ok && result.membership.sites).toBeUndefined();
  });

  it.each([
    ['a site for a server that is not joining', ask({ joining: 'site.7=ap' }), /site\.7/],
    ['a bad site name', ask({ joining: `${line(5)},site.5=a b` }), /expected a site name/],
    ['a site for a leaving server', ask({ leaving: '4', joining: 'site.4=ap' }), /site\.4/],
  ])('answers BadArguments for %s', (_, request, why) => {
    const result = resolveReconfig(current, request, false);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.err).toBe(ErrorCode.badArguments);
    expect(result.why).toMatch(why);
  });
});

describe('the peer codec carries sites', () => {
  const inform = (sites: unknown): PeerMessage => ({
    type: 'informAndActivate',
    designatedLeader: 1,
    txn: { zxid: 0x5_0000_0004, time: 6, sessionId: 1n, cxid: 3,
      body: { type: 'reconfig', membership: { ...current, sites } as Membership } },
  });

  it('round-trips a reconfig txn whose membership has sites', () => {
    const message = inform(current.sites);
    const decoded = decodePeerMessage(encodePeerMessage(message));
    expect(decoded).toEqual({ ok: true, message });
  });

  it.each([
    ['a name that is not a string', { 1: 5 }],
    ['a key that is not a server id', { eu: 'eu' }],
    ['a list', ['eu']],
  ])('refuses sites with %s', (_, sites) => {
    expect(decodePeerMessage(encodePeerMessage(inform(sites))).ok).toBe(false);
  });
});
