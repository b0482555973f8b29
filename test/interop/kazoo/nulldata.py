"""Null znode data through kazoo: create(path, None) and set(path, None) send a null buffer
(jute length -1), create(path) sends b'' (kazoo's default). ZooKeeper keeps null apart from
empty, so get answers None for the one and b'' for the other, both with dataLength 0. A second
session on another server reads them too (in an ensemble, after the write replicated)."""

from common import close, connect, emit


def shown(data):
    return None if data is None else data.decode('utf-8')


client = connect()
client.create('/kazoo-null', None)
client.create('/kazoo-empty')
client.create('/kazoo-set-null', b'before')
client.set('/kazoo-set-null', None)
null_data, null_stat = client.get('/kazoo-null')
empty_data, empty_stat = client.get('/kazoo-empty')
set_data, set_stat = client.get('/kazoo-set-null')
other = connect(1)
other.sync('/kazoo-null')
other.sync('/kazoo-set-null')
emit({
    'null': [shown(null_data), null_stat.dataLength],
    'empty': [shown(empty_data), empty_stat.dataLength],
    'setNull': [shown(set_data), set_stat.dataLength, set_stat.version],
    'otherSession': [shown(other.get('/kazoo-null')[0]), shown(other.get('/kazoo-set-null')[0]),
                     shown(other.get('/kazoo-empty')[0])],
})
close(client, other)
