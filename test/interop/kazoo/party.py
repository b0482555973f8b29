"""kazoo Party and ShallowParty recipes: members of two sessions join, are listed, and leave; a
closed session's membership vanishes with its ephemeral node."""

from common import close, connect, emit, wait_until

first, second = connect(), connect(1)
alice = first.Party('/kazoo-party', 'alice')
bob = second.Party('/kazoo-party', 'bob')
alice.join()
bob.join()
# bob's session may be on another server than alice's: sync before each read through alice's.
first.sync('/kazoo-party')
both = sorted(alice)
count = len(alice)
bob.leave()
first.sync('/kazoo-party')
after_leave = sorted(alice)

shallow_first = first.ShallowParty('/kazoo-shallow', 'carol')
shallow_second = second.ShallowParty('/kazoo-shallow', 'dave')
shallow_first.join()
shallow_second.join()
first.sync('/kazoo-shallow')
shallow_both = sorted(shallow_first)
close(second)
gone = wait_until(lambda: sorted(shallow_first) == ['carol'])
emit({
    'both': both,
    'count': count,
    'afterLeave': after_leave,
    'shallowBoth': shallow_both,
    'shallowAfterClose': sorted(shallow_first),
    'goneAfterClose': gone,
})
close(first)
