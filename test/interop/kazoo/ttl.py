"""TTL nodes through kazoo (createTTL): stat and naming of plain and sequential TTL nodes, a
rejected TTL of 0, and expiry of an unchanged childless TTL node."""

import time

from kazoo.exceptions import KazooException

from common import close, connect, emit, wait_until
from extended import create_ttl

client = connect()
path, stat = create_ttl(client, '/kazoo-ttl', 400, b'short-lived')
sequential_path, _ = create_ttl(client, '/kazoo-ttl-seq-', 60000, sequential=True)
try:
    create_ttl(client, '/kazoo-ttl-zero', 0)
    zero_error = None
except KazooException as error:
    zero_error = type(error).__name__
started = time.monotonic()
expired = wait_until(lambda: client.exists('/kazoo-ttl') is None, 10.0)
emit({
    'path': path,
    'version': stat.version,
    'dataLength': stat.dataLength,
    'ephemeralOwner': '%016x' % (stat.ephemeralOwner & 0xFFFFFFFFFFFFFFFF),
    'sequentialPath': sequential_path,
    'zeroError': zero_error,
    'expired': expired,
    'expirySeconds': round(time.monotonic() - started, 1),
    'longLivedExists': client.exists(sequential_path) is not None,
})
close(client)
