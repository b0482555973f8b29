"""kazoo ChildrenWatch recipe: the callback sees the child list after every create and delete,
and the CHILD event type."""

from common import close, connect, emit, wait_until

writer, watcher = connect(), connect(1)
writer.create('/kazoo-childrenwatch')
calls = []


def record(children, event):
    calls.append([sorted(children), None if event is None else event.type])


watcher.ChildrenWatch('/kazoo-childrenwatch', record, send_event=True)
wait_until(lambda: len(calls) == 1)
writer.create('/kazoo-childrenwatch/a')
wait_until(lambda: len(calls) == 2)
writer.create('/kazoo-childrenwatch/b')
wait_until(lambda: len(calls) == 3)
writer.delete('/kazoo-childrenwatch/a')
wait_until(lambda: len(calls) == 4)
emit({'calls': calls})
close(writer, watcher)
