"""Writes the tree the import test carries from ZooKeeper to corral and back: nested nodes,
ACLs (digest among them), sequential nodes, null and empty data, a large value, a container, a
TTL node, a multi, and ephemerals of a session that stays open. Prints that session's id and
password as one JSON line, then holds the session until stdin closes (the test stops the server
first, so the session is never closed)."""

import json
import os
import sys

from kazoo.client import KazooClient
from kazoo.security import make_digest_acl, make_acl

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'kazoo'))
from extended import create_container, create_ttl  # noqa: E402

server = sys.argv[1]
client = KazooClient(hosts=server, timeout=20.0)
client.start(timeout=15)
client.add_auth('digest', 'alice:secret')

client.create('/app/config/db', b'host=db1', makepath=True)
client.set('/app/config/db', b'host=db2')
client.set('/app/config/db', b'host=db3')
client.create('/app/null', None)  # a null buffer (jute length -1), kept apart from b''
client.create('/app/set-null', b'before')
client.set('/app/set-null', None)
client.create('/app/empty', b'')
client.create('/app/large', b'x' * 500_000)
client.create('/app/secret', b'only alice',
              acl=[make_digest_acl('alice', 'secret', all=True)])
client.create('/app/readonly', b'r', acl=[make_acl('world', 'anyone', read=True)])
client.create('/app/mixed', b'm')
client.set_acls('/app/mixed', [make_acl('world', 'anyone', read=True, write=True),
                                make_digest_acl('alice', 'secret', all=True)])
for index in range(3):
    client.create('/app/queue/item-', str(index).encode(), sequence=True, makepath=True)
client.delete('/app/queue/item-0000000001')
create_container(client, '/app/container', b'')
client.create('/app/container/child', b'c')
create_ttl(client, '/app/ttl', 60_000, b't')
transaction = client.transaction()
transaction.create('/app/multi-a', b'a')
transaction.create('/app/multi-b', b'b')
transaction.set_data('/app/config/db', b'host=db4')
transaction.commit()
client.create('/app/gone', b'g')
client.delete('/app/gone')

# 30 s: the session must outlive the stop, the import and the start of the next server.
holder = KazooClient(hosts=server, timeout=30.0)
holder.start(timeout=15)
holder.create('/app/members/m-', b'alive', ephemeral=True, sequence=True, makepath=True)
holder.create('/app/lock', b'held', ephemeral=True)
client.stop()
client.close()

session_id, password = holder.client_id
# The id as text: it passes 2^53, past what a JavaScript number holds exactly.
print(json.dumps({'sessionId': str(session_id), 'password': password.hex()}), flush=True)
sys.stdin.read()
