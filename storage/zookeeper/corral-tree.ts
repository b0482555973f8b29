// Between ZooKeeper's tree as its files hold it and corral's DataTree: the same znodes with
// every stored stat field (both keep cversion as the count of creates), the same ACLs, and the
// same sessions. ZooKeeper stores no session password (it derives one from the id), so an
// imported session gets the one its client already holds.

import type { ACL } from '../../protocol/records.js';
import { DataTree, type DataTreeOptions } from '../../tree/data-tree.js';
import { NodeFields } from '../../tree/snapshot.js';
import { zookeeperSessionPassword } from './format.js';
import { isExtendedOwner, ZooKeeperTree } from './zookeeper-tree.js';

/** A corral DataTree at `zxid` holding exactly `source`'s nodes and sessions. */
export function corralTreeOf(
  source: ZooKeeperTree,
  zxid: number,
  options: DataTreeOptions = {},
): DataTree {
  const tree = new DataTree(options);
  tree.restore(zxid, (restorer) => {
    const aclIndex = new Map<readonly ACL[], number>();
    const fields = new NodeFields();
    for (const path of source.paths()) {
      const node = source.nodes.get(path)!;
      let index = aclIndex.get(node.acl);
      if (index === undefined) {
        index = aclIndex.size;
        aclIndex.set(node.acl, index);
        restorer.addAcls([node.acl]);
      }
      const owner = node.stat.ephemeralOwner;
      fields.path = path;
      fields.data = node.data;
      fields.aclIndex = index;
      fields.ephemeralOwner = owner;
      // Containers and TTL nodes carry a mark, not a session: clients see 0 (DataNode.copyStat).
      fields.ownerIsSession = owner !== 0n && !isExtendedOwner(owner);
      fields.czxid = node.stat.czxid;
      fields.mzxid = node.stat.mzxid;
      fields.pzxid = node.stat.pzxid;
      fields.ctime = node.stat.ctime;
      fields.mtime = node.stat.mtime;
      fields.version = node.stat.version;
      fields.cversion = node.stat.cversion;
      fields.aversion = node.stat.aversion;
      restorer.nodeFields(fields);
    }
    for (const [sessionId, timeoutMs] of source.sessions) {
      restorer.session({ sessionId, timeoutMs, password: zookeeperSessionPassword(sessionId) });
    }
  });
  return tree;
}

/** ZooKeeper's view of a corral tree: every node (parents first) and the session table. */
export function zookeeperTreeOf(tree: DataTree): ZooKeeperTree {
  const capture = tree.capture();
  const result = new ZooKeeperTree();
  try {
    const acls: Array<readonly ACL[]> = [];
    for (let index = 0; index < capture.nodeCount; index++) {
      const record = capture.record(index);
      acls.push(...capture.newAcls());
      const [path, data, aclIndex, ephemeralOwner, , czxid, mzxid, pzxid, ctime, mtime, version,
        cversion, aversion] = record;
      const acl = acls[aclIndex];
      if (acl === undefined) throw new Error(`${path}: unknown ACL ${aclIndex}`);
      result.addNode(path, {
        data: data === null ? null : Buffer.from(data),
        acl,
        stat: { czxid, mzxid, ctime, mtime, version, cversion, aversion, ephemeralOwner, pzxid },
        children: new Set(),
      });
    }
    for (const session of capture.sessions) result.sessions.set(session.sessionId,
      session.timeoutMs);
    result.lastZxid = capture.zxid;
  } finally {
    capture.release();
  }
  return result;
}
