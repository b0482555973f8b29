"""kazoo transactions (multi): a committed one with create, set_data, check and delete, and one
whose check fails, rolling back every op (kazoo returns an exception per op)."""

from common import close, connect, emit

client = connect()
client.create('/kazoo-txn', b'')
client.create('/kazoo-txn/old', b'')
transaction = client.transaction()
transaction.create('/kazoo-txn/new', b'fresh')
transaction.set_data('/kazoo-txn', b'updated', 0)
transaction.check('/kazoo-txn', 1)
transaction.delete('/kazoo-txn/old')
committed = transaction.commit()
data, stat = client.get('/kazoo-txn')

failing = client.transaction()
failing.create('/kazoo-txn/never', b'')
failing.check('/kazoo-txn', 7)
failing.set_data('/kazoo-txn', b'lost')
rolled_back = failing.commit()
emit({
    'committed': [item if isinstance(item, (str, bool)) else type(item).__name__
                  for item in committed],
    'data': data.decode('utf-8'),
    'version': stat.version,
    'children': sorted(client.get_children('/kazoo-txn')),
    'failed': [type(item).__name__ for item in rolled_back],
    'neverExists': client.exists('/kazoo-txn/never') is not None,
    'dataAfterFailure': client.get('/kazoo-txn')[0].decode('utf-8'),
})
close(client)
