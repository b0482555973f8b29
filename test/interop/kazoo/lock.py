"""kazoo Lock recipe with two contenders on two sessions: the second waits in sequence order and
acquires only after the first releases."""

import threading

from common import close, connect, emit, wait_until

first, second = connect(), connect(1)
lock_a = first.Lock('/kazoo-lock', 'a')
lock_b = second.Lock('/kazoo-lock', 'b')
order = []
lock_a.acquire()
order.append('a acquired')
b_try_while_held = lock_b.acquire(blocking=False)
# The failed attempt created and deleted its own node through the leader. The first session
# reads from a follower, which may not have applied that delete yet: without a sync it could see
# the attempt's node as the second contender, then see it go before the thread's node arrives.
first.sync('/kazoo-lock')


def contend():
    lock_b.acquire(timeout=10)
    order.append('b acquired')


thread = threading.Thread(target=contend)
thread.start()
waiting = wait_until(lambda: len(lock_a.contenders()) == 2)
contenders = lock_a.contenders()
nodes = sorted(first.get_children('/kazoo-lock'))
order.append('a released')
lock_a.release()
thread.join(10)
after_release = lock_b.contenders()
lock_b.release()
emit({
    'bTryWhileHeld': b_try_while_held,
    'waiting': waiting,
    'contenders': contenders,
    'afterRelease': after_release,
    'order': order,
    'nodes': nodes,
})
close(first, second)
