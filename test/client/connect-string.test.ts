// Connect-string parsing (ZooKeeper's ConnectStringParser rules plus corral's `@site` tags) and
// the order a client with a site tries servers in: tables of inputs and what they must give.

import { describe, expect, it } from 'vitest';
import { BadArgumentsError, createClient, parseConnectString } from '../../client/index.js';
import { orderServersBySite } from '../../client/sites.js';
import { nextServerIndex, serverAfterLoss } from '../../machines/client-connection.js';

describe('parseConnectString', () => {
  it.each([
    ['127.0.0.1:2181', [{ host: '127.0.0.1', port: 2181 }], ''],
    ['a:1,b', [{ host: 'a', port: 1 }, { host: 'b', port: 2181 }], ''],
    ['a:1/app/x', [{ host: 'a', port: 1 }], '/app/x'],
    ['a:1/', [{ host: 'a', port: 1 }], ''],
    ['a:1@eu-west', [{ host: 'a', port: 1, site: 'eu-west' }], ''],
    ['a@eu-west', [{ host: 'a', port: 2181, site: 'eu-west' }], ''],
    [
      '127.0.0.1:2181@eu-west, 127.0.0.1:2182@us-east,127.0.0.1:2183/app',
      [
        { host: '127.0.0.1', port: 2181, site: 'eu-west' },
        { host: '127.0.0.1', port: 2182, site: 'us-east' },
        { host: '127.0.0.1', port: 2183 },
      ],
      '/app',
    ],
    ['[::1]:2181@a.b_c-1', [{ host: '::1', port: 2181, site: 'a.b_c-1' }], ''],
    ['[::1]@dc1', [{ host: '::1', port: 2181, site: 'dc1' }], ''],
    ['[fe80::1:2]:3000', [{ host: 'fe80::1:2', port: 3000 }], ''],
    // The chroot starts at the first '/': an '@' after it is part of the path, not a tag.
    ['a:1/app@x', [{ host: 'a', port: 1 }], '/app@x'],
    ['a:1@s/app@x', [{ host: 'a', port: 1, site: 's' }], '/app@x'],
  ])('parses %s', (text, servers, chroot) => {
    expect(parseConnectString(text)).toEqual({ servers, chroot });
  });

  it.each([
    ['', /no servers in ''/],
    [' , /app', /no servers/],
    ['a:1@', /empty site in 'a:1@'/],
    ['a:1@eu@west', /more than one '@' in 'a:1@eu@west'/],
    ['a:1@eu west', /bad site 'eu west' in 'a:1@eu west'/],
    ['a:1@-west', /bad site '-west'/],
    [`a:1@${'s'.repeat(65)}`, /longer than 64 characters/],
    ['@eu-west', /no host in '@eu-west'/],
    [':2181', /no host in ':2181'/],
    ['a:x', /bad port in 'a:x'/],
    ['a:70000', /bad port in 'a:70000'/],
    ['a:', /bad port in 'a:'/],
    ['[::1', /bad IPv6 address in '\[::1'/],
    ['[::1]2181', /bad IPv6 address/],
    ['[::1]:@s', /bad IPv6 address in '\[::1\]:@s'/],
    ['a:1/app/', /invalid path '\/app\/'/],
  ])('rejects %j', (text, message) => {
    expect(() => parseConnectString(text)).toThrow(BadArgumentsError);
    expect(() => parseConnectString(text)).toThrow(message);
  });

  it.each([
    [{ site: '' }, /empty site in the site option/],
    [{ site: 'a b' }, /bad site 'a b' in the site option/],
    [{ site: 'a', siteProbeIntervalMs: 0 }, /siteProbeIntervalMs must be positive/],
  ])('createClient rejects options %j before connecting', (options, message) => {
    expect(() => createClient('127.0.0.1:1', options)).toThrow(message);
  });
});

/** A repeatable random source: the same draws give the same shuffle. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const tagged = (name: string, site?: string) =>
  site === undefined ? { host: name, port: 1 } : { host: name, port: 1, site };

describe('orderServersBySite', () => {
  const servers = [
    tagged('b1', 'b'), tagged('a1', 'a'), tagged('u1'), tagged('c1', 'c'),
    tagged('a2', 'a'), tagged('b2', 'b'), tagged('u2'), tagged('a3', 'a'),
  ];

  it('puts the own site first, then untagged, then other sites, each group complete', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { servers: order, siteServerCount } = orderServersBySite(servers, 'a', seeded(seed));
      expect(siteServerCount).toBe(3);
      const groups = order.map((server) =>
        server.site === 'a' ? 'own' : server.site === undefined ? 'unknown' : 'other');
      expect(groups).toEqual(['own', 'own', 'own', 'unknown', 'unknown', 'other', 'other',
        'other']);
      expect(order.map((server) => server.host).sort()).toEqual(
        servers.map((server) => server.host).sort());
    }
  });

  it('shuffles within the own site (every own server leads for some seed)', () => {
    const leaders = new Set<string>();
    for (let seed = 1; seed <= 60; seed++) {
      leaders.add(orderServersBySite(servers, 'a', seeded(seed)).servers[0]!.host);
    }
    expect([...leaders].sort()).toEqual(['a1', 'a2', 'a3']);
  });

  it('without a site shuffles the whole list as before (same draws, no own site)', () => {
    const random = seeded(7);
    const order = orderServersBySite(servers, undefined, random);
    expect(order.siteServerCount).toBe(0);
    const hosts = new Set(order.servers.map((server) => server.host));
    expect(hosts.size).toBe(servers.length);
    // A site no server has: no own site, untagged before the tagged ones.
    const elsewhere = orderServersBySite(servers, 'z', seeded(7));
    expect(elsewhere.siteServerCount).toBe(0);
    expect(elsewhere.servers.slice(0, 2).map((server) => server.host).sort()).toEqual(['u1', 'u2']);
  });
});

/** The servers one reconnect pass tries, by index, after losing `lost`. */
function passAfterLoss(lost: number, count: number, siteServerCount: number): number[] {
  const lostServerIndex = siteServerCount > 0 ? lost : -1;
  const pass = [serverAfterLoss(lost, count, siteServerCount)];
  while (pass.length < count) {
    pass.push(nextServerIndex(pass.at(-1)!, lostServerIndex, count));
  }
  return pass;
}

describe('reconnect order after a loss', () => {
  it.each([
    // [lost, servers, own-site servers, the pass]
    [0, 5, 0, [1, 2, 3, 4, 0]], // without a site: ZooKeeper's next server, round the list
    [3, 5, 0, [4, 0, 1, 2, 3]],
    [0, 5, 3, [1, 2, 3, 4, 0]], // own site first, the lost one last
    [1, 5, 3, [0, 2, 3, 4, 1]],
    [2, 5, 3, [0, 1, 3, 4, 2]],
    [4, 5, 3, [0, 1, 2, 3, 4]], // lost elsewhere: start again at home
    [0, 3, 1, [1, 2, 0]], // the only own-site server lost: the other site, then it
    [0, 1, 1, [0]],
  ])('after losing %i of %i with %i own-site servers', (lost, count, own, pass) => {
    expect(passAfterLoss(lost, count, own)).toEqual(pass);
  });

  it('starts the next pass where the first began', () => {
    expect(nextServerIndex(1, 1, 5)).toBe(0);
    expect(nextServerIndex(0, 0, 5)).toBe(1);
    expect(nextServerIndex(4, -1, 5)).toBe(0);
  });
});
