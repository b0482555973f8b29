"""Prints the whole tree as JSON: each path's data (hex, or null), every Stat field and the
ACLs, read as the super-free client sees them (with alice's digest, to read /app/secret)."""

import json
import sys

from kazoo.client import KazooClient

client = KazooClient(hosts=sys.argv[1], timeout=10.0)
client.start(timeout=15)
client.add_auth('digest', 'alice:secret')

tree = {}
pending = ['/']
while pending:
    path = pending.pop()
    data, stat = client.get(path)
    acls, _ = client.get_acls(path)
    tree[path] = {
        'data': None if data is None else data.hex(),
        'stat': {field: getattr(stat, field) for field in (
            'czxid', 'mzxid', 'ctime', 'mtime', 'version', 'cversion', 'aversion',
            'dataLength', 'numChildren', 'pzxid')},
        # As text: a session id passes 2^53, past what a JavaScript number holds exactly.
        'ephemeralOwner': str(stat.ephemeralOwner),
        'acl': [[acl.perms, acl.id.scheme, acl.id.id] for acl in acls],
    }
    for child in client.get_children(path):
        pending.append(path.rstrip('/') + '/' + child)
client.stop()
client.close()
print(json.dumps(tree, sort_keys=True))
