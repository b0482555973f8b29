"""Requests kazoo 2.8 cannot build itself: createContainer (opcode 19) and createTTL (opcode 21).
They go through kazoo's own connection (framing, xids, error mapping), so only the request body
is ours; both answer like create2 with the path and the new node's stat."""

from collections import namedtuple

from kazoo.protocol.serialization import Create2, long_struct
from kazoo.security import OPEN_ACL_UNSAFE

CONTAINER_FLAGS = 4
PERSISTENT_WITH_TTL_FLAGS = 5
PERSISTENT_SEQUENTIAL_WITH_TTL_FLAGS = 6


class CreateContainer(namedtuple('CreateContainer', 'path data acl flags')):
    type = 19
    serialize = Create2.serialize
    deserialize = Create2.deserialize


class CreateTTL(namedtuple('CreateTTL', 'path data acl flags ttl')):
    type = 21

    def serialize(self):
        body = Create2(self.path, self.data, self.acl, self.flags).serialize()
        return body + long_struct.pack(self.ttl)

    deserialize = Create2.deserialize


def call(client, request):
    result = client.handler.async_result()
    client._call(request, result)
    return result.get(timeout=10)


def create_container(client, path, data=b''):
    return call(client, CreateContainer(path, data, OPEN_ACL_UNSAFE, CONTAINER_FLAGS))


def create_ttl(client, path, ttl_ms, data=b'', sequential=False):
    flags = PERSISTENT_SEQUENTIAL_WITH_TTL_FLAGS if sequential else PERSISTENT_WITH_TTL_FLAGS
    return call(client, CreateTTL(path, data, OPEN_ACL_UNSAFE, flags, ttl_ms))
