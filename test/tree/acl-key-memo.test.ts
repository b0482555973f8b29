// The store keys its shared ACL table by content, and remembers the key of the last one-entry
// ACL it was given (a replay's creates nearly all name world:anyone). Equal ACLs, each its own
// object, must share one entry; ACLs differing only in perms, scheme or id, or in their number
// of entries, must not, in whatever order they come.

import { describe, expect, it } from 'vitest';
import { Perm } from '../../protocol/constants.js';
import type { ACL } from '../../protocol/records.js';
import { NodeStore } from '../../tree/store.js';

const entry = (perms: number, scheme: string, id: string): ACL => ({ perms, id: { scheme, id } });

describe('the ACL table\'s keys', () => {
  it('share equal ACLs and keep apart ones that differ in any field', () => {
    const store = new NodeStore(false, true);
    const acls: ACL[][] = [
      [entry(Perm.all, 'world', 'anyone')],
      [entry(Perm.read, 'world', 'anyone')],
      [entry(Perm.all, 'ip', 'anyone')],
      [entry(Perm.all, 'world', 'any')],
      // A key made of one entry's parts must not match two entries' (lengths keep them apart).
      [entry(Perm.all, 'world', 'anyone'), entry(Perm.read, 'ip', '127.0.0.1')],
      [entry(Perm.all, 'digest', 'u:p')],
    ];
    const indexes = new Map<number, number>();
    // Each ACL again as a fresh object, in an order where equal ones follow different ones and
    // themselves.
    for (const which of [0, 0, 1, 0, 2, 2, 3, 4, 0, 5, 4, 1, 3, 5, 0]) {
      const copy = acls[which]!.map((acl) => entry(acl.perms, acl.id.scheme, acl.id.id));
      const index = store.retainAcl(copy);
      expect(store.aclAt(index)).toEqual(acls[which]);
      if (indexes.has(which)) expect(index).toBe(indexes.get(which));
      else indexes.set(which, index);
    }
    expect(new Set(indexes.values()).size).toBe(acls.length);
  });
});
