// The `ip` id of a connection, printed as Java's InetAddress.getHostAddress() prints it.
import { describe, expect, it } from 'vitest';
import { InvalidIpAddressError, ipId } from '../../../../actors/server/auth/ip.js';

describe('ipId', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['10.1.2.3', '10.1.2.3'],
    // A dual-stack Node listener reports IPv4 peers as mapped addresses; Java sees Inet4Address.
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:192.168.0.9', '192.168.0.9'],
    ['::ffff:c0a8:9', '192.168.0.9'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['::', '0:0:0:0:0:0:0:0'],
    ['2001:db8::8:800:200c:417a', '2001:db8:0:0:8:800:200c:417a'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8:0:0:0:0:0:1'],
    ['fe80::1%eth0', 'fe80:0:0:0:0:0:0:1%eth0'],
    // IPv4-compatible (not mapped) stays IPv6, embedded quad printed as hex groups.
    ['::1.2.3.4', '0:0:0:0:0:0:102:304'],
  ])('prints remote address %s as ip:%s', (remoteAddress, expected) => {
    expect(ipId(remoteAddress)).toEqual({ scheme: 'ip', id: expected });
  });

  it.each(['', 'localhost', '1.2.3', '::g'])('rejects %j', (remoteAddress) => {
    expect(() => ipId(remoteAddress)).toThrow(InvalidIpAddressError);
  });
});
