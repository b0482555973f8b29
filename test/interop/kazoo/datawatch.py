"""kazoo DataWatch recipe: the callback sees creation, each change (with version) and deletion,
with the event type kazoo decoded from the server's notification."""

from common import close, connect, emit, text, wait_until

writer, watcher = connect(), connect(1)
calls = []


def record(data, stat, event):
    calls.append([text(data), None if stat is None else stat.version,
                  None if event is None else event.type])


watcher.DataWatch('/kazoo-datawatch', record)
wait_until(lambda: len(calls) == 1)
writer.create('/kazoo-datawatch', b'v0')
wait_until(lambda: len(calls) == 2)
writer.set('/kazoo-datawatch', b'v1')
wait_until(lambda: len(calls) == 3)
writer.set('/kazoo-datawatch', b'v2')
wait_until(lambda: len(calls) == 4)
writer.delete('/kazoo-datawatch')
wait_until(lambda: len(calls) == 5)
emit({'calls': calls})
close(writer, watcher)
