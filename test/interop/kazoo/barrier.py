"""kazoo Barrier and DoubleBarrier recipes across two sessions: wait blocks while the barrier node
exists and returns once it is removed; a double barrier enters when both parties arrive."""

import threading

from common import close, connect, emit

first, second = connect(), connect(1)
barrier = first.Barrier('/kazoo-barrier')
barrier.create()
short_wait = second.Barrier('/kazoo-barrier').wait(0.3)
released = {}
waiter = threading.Thread(
    target=lambda: released.update(value=second.Barrier('/kazoo-barrier').wait(10)))
waiter.start()
barrier.remove()
waiter.join(10)

entered = []
doubles = [first.DoubleBarrier('/kazoo-double', 2, 'x'),
           second.DoubleBarrier('/kazoo-double', 2, 'y')]


def enter(double, name):
    double.enter()
    entered.append(name)
    double.leave()


threads = [threading.Thread(target=enter, args=(doubles[index], name))
           for index, name in enumerate(('x', 'y'))]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join(10)
emit({
    'shortWait': short_wait,
    'released': released.get('value'),
    'barrierExists': first.exists('/kazoo-barrier') is not None,
    'entered': sorted(entered),
})
close(first, second)
