"""kazoo Counter recipe: arithmetic, and concurrent increments from two sessions that must all
land (the recipe retries setData on BadVersion)."""

import threading

from common import close, connect, emit

first, second = connect(), connect(1)
counter = first.Counter('/kazoo-counter')
counter += 5
counter -= 2
after_arithmetic = counter.value
seen_by_second = second.Counter('/kazoo-counter').value


def bump(client):
    shared = client.Counter('/kazoo-counter')
    for _ in range(20):
        shared += 1


threads = [threading.Thread(target=bump, args=(client,)) for client in (first, second)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join(20)
# The second session's last increments may not have reached the first one's server yet.
first.sync('/kazoo-counter')
data, stat = first.get('/kazoo-counter')
emit({
    'afterArithmetic': after_arithmetic,
    'seenBySecond': seen_by_second,
    'final': first.Counter('/kazoo-counter').value,
    'rawData': data.decode('utf-8'),
    'version': stat.version,
})
close(first, second)
