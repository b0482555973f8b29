"""kazoo Election recipe: the first contender leads until its leadership function returns, then
the second is elected; contenders() lists them in sequence order."""

import threading

from common import close, connect, emit, wait_until

first, second = connect(), connect(1)
leaders = []
resign = {'one': threading.Event(), 'two': threading.Event()}


def lead(name):
    leaders.append(name)
    resign[name].wait(10)


elections = {'one': first.Election('/kazoo-election', 'one'),
             'two': second.Election('/kazoo-election', 'two')}
threads = {}
for name in ('one', 'two'):
    threads[name] = threading.Thread(target=elections[name].run, args=(lead, name))
    threads[name].start()
    wait_until(lambda: len(elections['one'].contenders()) == (1 if name == 'one' else 2))
one_elected = wait_until(lambda: leaders == ['one'])
contenders = elections['two'].contenders()
resign['one'].set()
two_elected = wait_until(lambda: leaders == ['one', 'two'])
contenders_after = elections['two'].contenders()
resign['two'].set()
for thread in threads.values():
    thread.join(10)
emit({
    'oneElected': one_elected,
    'twoElected': two_elected,
    'leaders': leaders,
    'contenders': contenders,
    'contendersAfter': contenders_after,
})
close(first, second)
