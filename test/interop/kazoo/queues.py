"""kazoo Queue and LockingQueue recipes: priority then FIFO order, and consume after get."""

from common import close, connect, emit

client = connect()
queue = client.Queue('/kazoo-queue')
queue.put(b'one')
queue.put(b'two')
queue.put(b'urgent', priority=1)
length = len(queue)
order = [queue.get().decode('utf-8') for _ in range(3)]
empty_get = queue.get()

locking = client.LockingQueue('/kazoo-locking-queue')
locking.put_all([b'a', b'b'])
got = locking.get(5).decode('utf-8')
consumed = locking.consume()
remaining = len(locking)
emit({
    'length': length,
    'order': order,
    'emptyGet': empty_get,
    'lockingGot': got,
    'consumed': consumed,
    'lockingRemaining': remaining,
})
close(client)
