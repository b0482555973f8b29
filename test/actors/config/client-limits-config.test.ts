// The zoo.cfg keys bounding a client connection's memory: ZooKeeper's globalOutstandingLimit and
// corral's own send-queue limits, under their names and ZooKeeper's `zookeeper.` prefix, with
// their defaults and the rule between the two byte limits.
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  parseZooCfg,
  resolveConfig,
  type ServerConfig,
} from '../../../actors/config/config.js';

const minimal = 'clientPort=2181\ndataDir=/var/lib/corral\n';
const silent = { info: () => undefined, warn: () => undefined };

function resolve(lines: string[]): ServerConfig {
  const text = `${minimal}${lines.join('\n')}\n`;
  return resolveConfig(parseZooCfg(text, 'zoo.cfg').config, { log: silent });
}

function errorOf(lines: string[]): ConfigError {
  try {
    resolve(lines);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`${lines.join(', ')} was accepted`);
}

describe('client connection limits in zoo.cfg', () => {
  it('defaults to ZooKeeper\'s 1000 requests in flight, 4 MiB throttle and 64 MiB max', () => {
    expect(resolve([])).toMatchObject({
      outstandingRequestsMax: 1000,
      clientSendQueueBytesThrottle: 4 * 1024 * 1024,
      clientSendQueueBytesMax: 64 * 1024 * 1024,
    });
  });

  it.each([
    ['globalOutstandingLimit', 'outstandingRequestsMax'],
    ['zookeeper.globalOutstandingLimit', 'outstandingRequestsMax'],
    ['client.sendQueueBytesThrottle', 'clientSendQueueBytesThrottle'],
    ['zookeeper.client.sendQueueBytesThrottle', 'clientSendQueueBytesThrottle'],
  ] as const)('reads %s into %s', (key, field) => {
    expect(resolve([`${key}=65536`])[field]).toBe(65536);
  });

  it.each(['client.sendQueueBytesMax', 'zookeeper.client.sendQueueBytesMax'])(
    'reads %s',
    (key) => {
      expect(resolve([`${key}=8388608`]).clientSendQueueBytesMax).toBe(8388608);
    },
  );

  it.each([
    'globalOutstandingLimit=0',
    'client.sendQueueBytesThrottle=-1',
    'zookeeper.client.sendQueueBytesMax=lots',
  ])('refuses %s, naming the key', (line) => {
    expect(errorOf([line]).key).toBe(line.slice(0, line.indexOf('=')));
  });

  it('reads the sessionless connection limit (10 s by default) and the connection layer', () => {
    expect(resolve([])).toMatchObject({ sessionlessConnectionMs: 10_000,
      connectionFactory: 'nio' });
    expect(resolve(['nio.sessionlessCnxnTimeout=2500']).sessionlessConnectionMs).toBe(2500);
    expect(resolve(['zookeeper.nio.sessionlessCnxnTimeout=3000']).sessionlessConnectionMs)
      .toBe(3000);
    expect(resolve(['serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory'])
      .connectionFactory).toBe('netty');
    expect(resolve(['zookeeper.serverCnxnFactory=org.apache.zookeeper.server.NIOServerCnxnFactory'])
      .connectionFactory).toBe('nio');
  });

  it.each([
    'nio.sessionlessCnxnTimeout=0',
    'serverCnxnFactory=Netty',
    'serverCnxnFactory=com.example.MyServerCnxnFactory',
  ])('refuses %s, naming the key', (line) => {
    expect(errorOf([line]).key).toBe(line.slice(0, line.indexOf('=')));
  });

  it('refuses a hard limit not above the throttle, naming client.sendQueueBytesMax', () => {
    const error = errorOf(['client.sendQueueBytesThrottle=1048576',
      'client.sendQueueBytesMax=1048576']);
    expect(error.key).toBe('client.sendQueueBytesMax');
    expect(error.message).toContain('must be larger than client.sendQueueBytesThrottle');
  });
});
