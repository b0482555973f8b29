"""Container nodes through kazoo (createContainer): a container outlives its creation while it has
never had a child, and is removed by the server once its last child is deleted."""

import time

from common import close, connect, emit, wait_until
from extended import create_container

client = connect()
path, stat = create_container(client, '/kazoo-container', b'box')
never_used = create_container(client, '/kazoo-container-unused')[0]
client.create('/kazoo-container/child', b'')
time.sleep(0.3)
with_child = client.exists('/kazoo-container') is not None
client.delete('/kazoo-container/child')
removed = wait_until(lambda: client.exists('/kazoo-container') is None, 10.0)
emit({
    'path': path,
    'ephemeralOwner': '%016x' % (stat.ephemeralOwner & 0xFFFFFFFFFFFFFFFF),
    'dataLength': stat.dataLength,
    'existsWithChild': with_child,
    'removedAfterLastChild': removed,
    'neverUsedStillExists': client.exists(never_used) is not None,
})
close(client)
