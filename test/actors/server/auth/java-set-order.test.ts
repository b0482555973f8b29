// ZooKeeper's order of a connection's ids (a ConcurrentHashMap-backed set): the expected orders
// below were printed by Java 17 iterating such a set of org.apache.zookeeper.data.Id from
// Debian's ZooKeeper 3.8 jar, so they are facts about ZooKeeper, not about this code.
import { describe, expect, it } from 'vitest';
import {
  javaIdHash,
  javaSetOrder,
  javaStringHash,
} from '../../../../actors/server/auth/java-set-order.js';

const ids = (pairs: Array<[string, string]>) => pairs.map(([scheme, id]) => ({ scheme, id }));

describe('Java hashes', () => {
  it.each([
    ['', 0],
    ['a', 97],
    ['hello', 99162322],
    ['digest', -1331913276],
  ])('String.hashCode(%j) = %i', (text, hash) => {
    expect(javaStringHash(text)).toBe(hash);
  });

  it('Id.hashCode(digest, alice:x) = 1344349755', () => {
    expect(javaIdHash({ scheme: 'digest', id: 'alice:x' })).toBe(1344349755);
  });
});

describe('javaSetOrder (ConcurrentHashMap iteration order)', () => {
  it.each([
    [
      'three ids, one bin ahead of another',
      ids([['digest', 'u74581:59ab1510dc9feb37'], ['sasl', 'u86662:91516002a5a95524'],
        ['digest', 'u91651:50f565e840bf8b57']]),
      [1, 0, 2],
    ],
    [
      'twelve ids: the table resized from 16 to 32 bins, split bins partly reversed',
      ids([['ip', 'u8806:624b81c65fd603dd'], ['digest', 'u30246:25906e77e89af71d'],
        ['ip', 'u22652:2bc13e37cf22cde5'], ['ip', 'u76433:c7e254b476a155a0'],
        ['sasl', 'u26238:ffb954778a378121'], ['super', 'u90525:b1ada3c520526ee7'],
        ['digest', 'u1373:ca6beaa706fe0fa2'], ['sasl', 'u49904:77fade467bdd30f5'],
        ['ip', 'u16447:4400ed7b6550f07d'], ['ip', 'u5021:22dfa2a66275db12'],
        ['super', 'u72600:fa42cebdc53d3c4c'], ['sasl', 'u42284:650ed1a8994d6249']]),
      [5, 8, 6, 4, 7, 3, 10, 0, 11, 9, 1, 2],
    ],
  ])('orders %s as Java does', (_case, added, order) => {
    expect(javaSetOrder(added)).toEqual(order.map((index) => added[index]));
  });
});
